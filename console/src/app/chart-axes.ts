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
