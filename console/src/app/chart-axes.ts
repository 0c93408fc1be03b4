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
