/**
 * Latency percentiles for `ping` and `bench`.
 *
 * @module
 */

/**
 * The nearest-rank percentile `p` (0–100) of `sorted` (ascending); NaN when empty.
 *
 * @example
 * ```ts
 * import { percentile } from "./stats.ts";
 * console.log(percentile([1, 2, 3, 4], 50)); // 2
 * ```
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/**
 * p50, p90, p99 and max of `samples`.
 *
 * @example
 * ```ts
 * import { summary } from "./stats.ts";
 * console.log(summary([3, 1, 2]).max); // 3
 * ```
 */
export function summary(samples: readonly number[]): { p50: number; p90: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}
