/**
 * A rolling median and median absolute deviation (MAD), tracked without keeping samples.
 *
 * Each observation moves the median estimate one small step towards itself, whatever its size
 * (the sign, not the distance), and the MAD estimate one step towards `|x - median|` the same
 * way: an exponentially weighted stochastic approximation of both quantiles. A single huge value
 * moves them no more than an ordinary one, which is what keeps a baseline honest while the
 * traffic it learns from contains the very incidents it should flag. Steps are proportional to
 * the spread, so the estimate is scale-free; the first few observations use running averages so
 * a fresh stat settles quickly.
 */

/** A rolling median (`m`), MAD (`s`) and how many observations they have seen (`n`). */
export interface RobustStat {
  m: number;
  s: number;
  n: number;
}

/** Observations averaged plainly before the quantile tracking takes over. */
const WARM_UP = 8;

/** An empty stat: no observation yet. */
export function emptyStat(): RobustStat {
  return { m: 0, s: 0, n: 0 };
}

/**
 * Folds `x` into `stat` in place. `rate` is the weight of one observation once warmed up (the
 * EWMA's alpha); `floor` is the smallest spread a step is scaled by, so a constant series can
 * still follow a change.
 */
export function observeStat(stat: RobustStat, x: number, rate: number, floor: number): void {
  stat.n += 1;
  if (stat.n <= WARM_UP) {
    const w = 1 / stat.n;
    stat.m += w * (x - stat.m);
    stat.s += w * (Math.abs(x - stat.m) - stat.s);
    return;
  }
  const step = rate * Math.max(stat.s, floor, Math.abs(stat.m) * 0.02);
  stat.m += x > stat.m ? step : x < stat.m ? -step : 0;
  const deviation = Math.abs(x - stat.m);
  // The MAD's upward and downward steps are equal, so it settles where half the deviations lie above it.
  stat.s = Math.max(0, stat.s + (deviation > stat.s ? step : deviation < stat.s ? -step : 0));
}

/** The standard-deviation equivalent of the MAD under a normal distribution. */
export const MAD_TO_SIGMA = 1.4826;

/**
 * Folds `x` into a rolling upper quantile `q` (0.98 tracks the usual peak) in place: steps up
 * by `q` and down by `1 - q` of the same size settle where a share `q` of observations lie
 * below. `scale` sizes the steps (the series' MAD, or a floor).
 */
export function observeQuantile(quantile: RobustStat, x: number, q: number, rate: number, scale: number): void {
  quantile.n += 1;
  if (quantile.n === 1) {
    quantile.m = x;
    return;
  }
  const step = rate * Math.max(scale, Math.abs(quantile.m) * 0.02) * 4;
  quantile.m = Math.max(0, quantile.m + (x > quantile.m ? step * q : -step * (1 - q)));
}
