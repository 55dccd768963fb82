import type { ResolvedLeafOptions } from './leaf.defaults.js';
import { RetryPolicy } from './segment/retry-policy.js';
import { isPermanent } from './errors/permanent.js';

/**
 * Startup's patience: what fails for a while at boot (a refused connection, a lock wait, a deadlock or a Galera
 * certification conflict, an ID server or Redis restarting) is tried again, with the reservations' own backoff,
 * until `bootTimeoutMs` has passed since the boot began; what retrying cannot cure (a missing table, a refused
 * token, a row the library cannot serve) fails at once. One deadline for the whole boot; a backoff per sequence of
 * attempts, so tags reserving side by side do not slow each other down.
 */
export class BootRetry {
  private readonly until: number;

  constructor(private readonly options: ResolvedLeafOptions) {
    this.until = performance.now() + options.bootTimeoutMs;
  }

  /** How a message says what was tried: nothing when startup tries once. */
  get tried(): string {
    const { bootTimeoutMs } = this.options;
    return bootTimeoutMs === 0 ? '' : ` (retried for up to bootTimeoutMs, ${bootTimeoutMs} ms)`;
  }

  /** Runs `attempt` until it resolves; rejects with its error at once when permanent, else when time is up. */
  async run<T>(attempt: () => Promise<T>): Promise<T> {
    const backoff = new RetryPolicy(this.options.retryMinDelayMs, this.options.retryMaxDelayMs);
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        if (isPermanent(error)) throw error;
        const now = performance.now();
        const delay = backoff.failed(now, false);
        if (now + delay >= this.until) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
