/** Statistics of interleaved benchmark rounds: quartiles, ratios, a median's interval. */

/** Quartiles of a list of numbers (NaN ignored): [25 %, median, 75 %]. */
export function quartiles(values: readonly number[]): [number, number, number] {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const at = (fraction: number) => {
    if (sorted.length === 0) return Number.NaN;
    const position = (sorted.length - 1) * fraction;
    const low = Math.floor(position);
    const high = Math.ceil(position);
    return (
      (sorted[low] as number) +
      ((sorted[high] as number) - (sorted[low] as number)) * (position - low)
    );
  };
  return [at(0.25), at(0.5), at(0.75)];
}

/** Each round's ratio of an arm's figure to the first arm's. */
export function roundRatios(figure: readonly number[], baseline: readonly number[]): number[] {
  return figure.map((value, round) => value / (baseline[round] as number));
}

/**
 * A distribution-free 95 % confidence interval of the median (from the order statistics:
 * the median lies below the k-th smallest of n values with the binomial probability of
 * fewer than k of them falling below it). NaN ignored; NaN bounds when there are too few.
 */
export function medianInterval(values: readonly number[]): [number, number] {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const n = sorted.length;
  // P(Binomial(n, 1/2) <= j), summed in logarithms (n may exceed what 2^-n can hold).
  let logChoose = 0;
  let below = 0;
  let k = 0;
  for (let j = 0; j < n; j++) {
    if (j > 0) logChoose += Math.log((n - j + 1) / j);
    below += Math.exp(logChoose - n * Math.LN2);
    if (below > 0.025) break;
    k = j + 1;
  }
  if (k < 1) return [Number.NaN, Number.NaN];
  return [sorted[k - 1] as number, sorted[n - k] as number];
}

/**
 * Whether a goal of "at most `limit` times" is met, from the per-round ratios: settled
 * when the 95 % confidence interval of their median lies on one side of the limit.
 */
export function verdict(ratios: readonly number[], limit: number): string {
  const median = quartiles(ratios)[1];
  const [low, high] = medianInterval(ratios);
  const figures = `median ${median.toFixed(2)}, 95% CI ${low.toFixed(2)}–${high.toFixed(2)}`;
  if (high <= limit) return `within ${limit}× (${figures})`;
  if (low > limit) return `BEYOND ${limit}× (${figures})`;
  return `not settled (${figures}, which holds ${limit})`;
}
