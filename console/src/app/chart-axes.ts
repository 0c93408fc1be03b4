/** How the console's charts draw their axes: one look for every chart. */
const AXIS_LABEL = { color: '#8a909c', fontSize: 11 } as const;

/** The bottom axis: one label per bar or point, a thin line, no ticks. */
export function categoryAxis(labels: readonly string[]) {
  return {
    type: 'category' as const,
    data: [...labels],
    axisLine: { lineStyle: { color: '#e4e6eb' } },
    axisTick: { show: false },
    axisLabel: AXIS_LABEL,
  };
}

/** The value axis: light grid lines and labels written by `format`; `options` adds ECharts settings (`max`, `minInterval`). */
export function valueAxis(format: (value: number) => string, options: Record<string, unknown> = {}) {
  return {
    type: 'value' as const,
    ...options,
    splitLine: { lineStyle: { color: '#eef0f3' } },
    axisLabel: { ...AXIS_LABEL, formatter: format },
  };
}

/**
 * The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) at or above `value`: a value
 * axis ending on it gets a top label of its own, rather than one printed over the tick below.
 */
export function roundCeiling(value: number): number {
  if (!(value > 0)) return 0;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * power >= value * (1 - 1e-12))!;
  return Number((step * power).toPrecision(12));
}

/** One value of a line, as ECharts takes it: a bare number, or a point drawn on its own with a label. */
type LinePoint =
  | number
  | null
  | { value: number; symbolSize: number; label: { show: boolean; position: 'left' | 'right'; formatter: string; color: string; fontSize: number } };

/**
 * A line's values with each lone point (no value on either side, such as the one hour that had
 * traffic) drawn as a larger dot labelled with its value: a line needs two points, and a
 * four-pixel dot at the chart's edge reads as nothing. `label` false draws the dot without words
 * (a previous period's line beside the current one).
 */
export function linePoints(values: readonly (number | null)[], format: (value: number) => string, label = true): LinePoint[] {
  return values.map((value, i) => {
    const lone = value !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null;
    if (!lone) return value;
    return { value, symbolSize: 9, label: { show: label, position: i === 0 ? 'right' : 'left', formatter: format(value), color: '#2b2f38', fontSize: 11 } };
  });
}
