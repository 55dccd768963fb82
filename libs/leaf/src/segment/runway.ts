/**
 * The runway: how long a tag can go on serving from memory if the store stopped answering now, at its recent peak
 * rate. The reserver keeps at least `runwayMs` of IDs ahead (a standby segment that alone covers it), so an outage
 * shorter than the runway costs no call.
 *
 * The rate is the peak of one-second windows, decaying with a half-life of `PEAK_HALF_LIFE_MS`: a burst is seen
 * within a second, and a quiet minute keeps 87% of the peak, so a lull does not shrink the runway before the next
 * burst. Within a day of quiet it decays to nothing, and a tag nobody calls holds no more than its base step.
 */
export const PEAK_WINDOW_MS = 1000;
export const PEAK_HALF_LIFE_MS = 5 * 60_000;

/** The decaying peak of a tag's rate, sampled at the scheduler's ticks. */
export class PeakRate {
  /** IDs per ms. */
  private peak = 0;
  private peakAt = 0;
  private windowStart: number | null = null;
  private windowIssued = 0;

  /** Feeds the total of IDs issued at monotonic `now`; a window closes once it spans a second. */
  sample(issued: number, now: number): void {
    if (this.windowStart === null) {
      this.windowStart = now;
      this.windowIssued = issued;
      return;
    }
    const span = now - this.windowStart;
    if (span < PEAK_WINDOW_MS) return;
    const rate = (issued - this.windowIssued) / span;
    const decayed = this.perMs(now);
    if (rate >= decayed) [this.peak, this.peakAt] = [rate, now];
    this.windowStart = now;
    this.windowIssued = issued;
  }

  /** The peak as of `now`, in IDs per ms. */
  perMs(now: number): number {
    return this.peak === 0 ? 0 : this.peak * 0.5 ** ((now - this.peakAt) / PEAK_HALF_LIFE_MS);
  }
}

/**
 * IDs a tag must hold ahead to cover `runwayMs` at `ratePerMs`: what the standby segment is sized to and what the
 * scheduler refills at, bounded by `maxStep` (one reservation), which bounds memory too (two segments at most).
 */
export function runwayTargetIds(ratePerMs: number, runwayMs: number, maxStep: number): number {
  return Math.min(Math.ceil(ratePerMs * runwayMs), maxStep);
}

/** How long `available` IDs last at `ratePerMs`; null while no rate is known (nothing measured yet). */
export function runwayHeldMs(available: number, ratePerMs: number): number | null {
  return ratePerMs > 0 ? Math.floor(available / ratePerMs) : null;
}
