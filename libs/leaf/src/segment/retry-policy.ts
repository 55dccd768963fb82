/**
 * When a failed reservation is tried again: an exponential backoff from `minDelayMs` to `maxDelayMs`, and the longest
 * delay after an error that retrying cannot cure (a missing row, the BIGINT limit) so callers are refused fast
 * meanwhile. Times are on the monotonic clock (`performance.now()`): a wall clock stepped back an hour must not
 * postpone a retry by an hour.
 */
export class RetryPolicy {
  /** Failed attempts since the last success. */
  consecutiveFailures = 0;
  /** No attempt before this time (monotonic ms); 0 when the last attempt succeeded. */
  private retryAt = 0;

  constructor(
    private readonly minDelayMs: number,
    private readonly maxDelayMs: number,
  ) {}

  /** Whether a reservation may start now. */
  mayTry(now: number): boolean {
    return now >= this.retryAt;
  }

  /** Records a failure; returns the delay before the next attempt. */
  failed(now: number, permanent: boolean): number {
    this.consecutiveFailures++;
    const backoff = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** Math.min(this.consecutiveFailures - 1, 20));
    const delay = permanent ? this.maxDelayMs : backoff;
    this.retryAt = now + delay;
    return delay;
  }

  succeeded(): void {
    this.consecutiveFailures = 0;
    this.retryAt = 0;
  }
}
