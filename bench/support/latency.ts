import { percentile } from './stats.js';

/**
 * Per-call latencies of an open-loop run, kept in preallocated typed arrays (a million calls a second would
 * otherwise allocate a boxed number per call): when each call was issued, and how long it took, in ms.
 */
export class LatencyRecorder {
  private at: Float32Array;
  private ms: Float32Array;
  count = 0;

  constructor(capacity: number) {
    this.at = new Float32Array(capacity);
    this.ms = new Float32Array(capacity);
  }

  record(atMs: number, latencyMs: number): void {
    if (this.count === this.ms.length) this.grow();
    this.at[this.count] = atMs;
    this.ms[this.count] = latencyMs;
    this.count++;
  }

  /** Latencies of the calls issued in `[fromMs, toMs)`, sorted ascending. */
  sortedBetween(fromMs: number, toMs: number): Float32Array {
    const out = new Float32Array(this.count);
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      const at = this.at[i];
      if (at >= fromMs && at < toMs) out[n++] = this.ms[i];
    }
    return out.subarray(0, n).sort();
  }

  /**
   * Latencies bucketed by issue time into the windows `[starts[i], starts[i + 1])`, each sorted ascending:
   * one pass over the calls, however many windows.
   */
  sortedByWindow(starts: readonly number[]): Float32Array[] {
    const counts = new Array<number>(starts.length).fill(0);
    const index = new Int32Array(this.count);
    for (let i = 0; i < this.count; i++) {
      const w = windowOf(starts, this.at[i]);
      index[i] = w;
      if (w >= 0) counts[w]++;
    }
    const buckets = counts.map((n) => new Float32Array(n));
    const fill = new Array<number>(starts.length).fill(0);
    for (let i = 0; i < this.count; i++) {
      const w = index[i];
      if (w >= 0) buckets[w][fill[w]++] = this.ms[i];
    }
    return buckets.map((b) => b.sort());
  }

  /** Calls issued in `[fromMs, toMs)` that took longer than `thresholdMs`. */
  countSlowerThan(thresholdMs: number, fromMs: number, toMs: number): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      const at = this.at[i];
      if (at >= fromMs && at < toMs && this.ms[i] > thresholdMs) n++;
    }
    return n;
  }

  private grow(): void {
    const at = new Float32Array(this.at.length * 2);
    const ms = new Float32Array(this.ms.length * 2);
    at.set(this.at);
    ms.set(this.ms);
    this.at = at;
    this.ms = ms;
  }
}

export interface Percentiles {
  readonly calls: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

export function percentiles(sorted: ArrayLike<number>): Percentiles {
  return {
    calls: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    p999Ms: percentile(sorted, 99.9),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
  };
}

/** Index of the last start <= t (binary search), or -1 before the first; the last window is open-ended. */
function windowOf(starts: readonly number[], t: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  if (starts.length === 0 || t < starts[0]) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
