import { LeafError } from './errors/leaf.error.js';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import type { LeafAllocRow, LeafStore } from './store/leaf-store.js';
import { withDeadline } from './store/store-deadline.js';
import { type ResolvedLeafOptions } from './leaf.defaults.js';

/** Lookups of new tags that run at once: the rest of the connection pool stays free for reservations. */
const CONCURRENCY = 4;

/**
 * Looks up tags met for the first time, with a bounded share of the store: at most four statements at once, at
 * most `maxTagLookups` tags pending (past it a call is refused at once), one statement for identical concurrent
 * lookups. A flood of made-up tags therefore costs a few connections, never the reservations of served tags.
 */
export class TagLookups {
  private readonly pending = new Map<string, Promise<LeafAllocRow | undefined>>();
  private readonly queue: Array<() => void> = [];
  private running = 0;

  constructor(
    private readonly store: LeafStore,
    private readonly options: ResolvedLeafOptions,
  ) {}

  /** The tag's exact row, or undefined when it has none. Rejects with a `LeafError`. */
  find(bizTag: string): Promise<LeafAllocRow | undefined> {
    let lookup = this.pending.get(bizTag);
    if (lookup !== undefined) return lookup;
    if (this.pending.size >= this.options.maxTagLookups) {
      return Promise.reject(LeafUnavailableError.tooManyLookups(bizTag, this.options.maxTagLookups));
    }
    lookup = this.run(bizTag).finally(() => this.pending.delete(bizTag));
    this.pending.set(bizTag, lookup);
    return lookup;
  }

  /** The deadline covers the wait for a turn too: a caller never waits longer than `reservationTimeoutMs`. */
  private async run(bizTag: string): Promise<LeafAllocRow | undefined> {
    try {
      return await withDeadline(this.options.reservationTimeoutMs, `Looking up "${bizTag}"`, async (signal) => {
        if (this.running >= CONCURRENCY) await new Promise<void>((resolve) => this.queue.push(resolve));
        this.running++;
        try {
          signal.throwIfAborted();
          return await this.store.findTag(bizTag, signal);
        } finally {
          this.running--;
          this.queue.shift()?.();
        }
      });
    } catch (error) {
      if (error instanceof LeafError) throw error;
      throw LeafUnavailableError.lookupFailed(bizTag, error);
    }
  }
}
