import { describe, expect, it } from 'vitest';
import { medianInterval, quartiles, roundRatios, verdict } from '../../bench/round-statistics.ts';

/** 1, 2, …, n, shuffled: the order statistics are then the numbers themselves. */
const ranks = (n: number) => Array.from({ length: n }, (_, i) => ((i * 7) % n) + 1);

describe('round statistics (bench:ledger)', () => {
  it('gives the quartiles by linear interpolation, ignoring NaN', () => {
    expect(quartiles([4, 1, 3, 2, 5, Number.NaN])).toEqual([2, 3, 4]);
    expect(quartiles([1, 2, 3, 4])).toEqual([1.75, 2.5, 3.25]);
  });

  it('divides each round by the same round of the baseline', () => {
    expect(roundRatios([2, 3, 4], [1, 2, 8])).toEqual([2, 1.5, 0.5]);
  });

  // The textbook order statistics of the distribution-free 95% interval of a median.
  it.each([
    [6, 1, 6],
    [10, 2, 9],
    [30, 10, 21],
    [100, 40, 61],
  ])('bounds the median of %i values by the order statistics %i and %i', (n, low, high) => {
    expect(medianInterval(ranks(n))).toEqual([low, high]);
  });

  it('has no interval for five values or fewer (none reaches 95%)', () => {
    expect(medianInterval(ranks(5))).toEqual([Number.NaN, Number.NaN]);
  });

  it('settles a goal only when the interval lies on one side of it', () => {
    const near = [0.95, 1.0, 1.02, 1.05, 1.1, 1.01, 0.98, 1.03, 1.04, 0.99];
    expect(verdict(near, 1.2)).toMatch(/^within 1.2×/);
    expect(
      verdict(
        near.map((r) => r + 0.5),
        1.2,
      ),
    ).toMatch(/^BEYOND 1.2×/);
    expect(
      verdict(
        near.map((r) => r + 0.2),
        1.2,
      ),
    ).toMatch(/^not settled/);
  });

  it('settles by the interval of the median, which more rounds narrow, not by the quartiles', () => {
    // Nine slow rounds in thirty put the third quartile at 1.5, but not the median's interval.
    const rounds = [...Array(21).fill(1), ...Array(9).fill(1.5)] as number[];
    expect(quartiles(rounds)[2]).toBe(1.5);
    expect(verdict(rounds, 1.2)).toMatch(/^within 1.2×/);
  });
});
