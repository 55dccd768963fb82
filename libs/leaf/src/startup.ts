import { BootRetry } from './boot-retry.js';
import { sentence } from './errors/error-message.js';
import { LeafError } from './errors/leaf.error.js';
import { LeafStoreError } from './errors/leaf-store.error.js';
import { describeStoreFailure } from './errors/store-failure.js';
import { UnknownBizTagError } from './errors/unknown-biz-tag.error.js';
import type { PeriodicTag } from './period/periodic-tag.js';
import type { BufferContext } from './segment/buffer-context.js';
import { validStep } from './segment/row-step.js';
import { SegmentBuffer } from './segment/segment-buffer.js';
import type { LeafAllocRow } from './store/leaf-store.js';
import { reachAdvice, setStepAdvice, storeLocation } from './store/store-advice.js';
import { withDeadline } from './store/store-deadline.js';

/** Reservations at boot run this many at a time, so 10,000 tags do not open 10,000 queries at once. */
const STARTUP_CONCURRENCY = 16;

/**
 * A generator's startup: reads the tags, creates the rows of configured tags that are missing, and reserves the
 * first segment of each (and of each period tag's current period) before the app serves. What fails for a while is
 * retried within `bootTimeoutMs` (`BootRetry`); the errors name the store (its `location`), and give SQL advice only
 * to a SQL store.
 */
export class Startup {
  private readonly retry: BootRetry;

  constructor(
    private readonly ctx: BufferContext,
    /** Where the configured tags' buffers go. */
    private readonly buffers: Map<string, SegmentBuffer>,
    private readonly periodic: readonly PeriodicTag[],
  ) {
    this.retry = new BootRetry(ctx.options);
  }

  async run(): Promise<void> {
    const { createMissingTags } = this.ctx.options;
    const bizTags = this.ctx.options.bizTags.filter((tag) => tag.period === 'none' && !tag.gapless);
    // Gapless series alone need nothing of leaf_alloc (a tag met later is looked up then).
    if (bizTags.length === 0 && this.periodic.length === 0) return;
    const rows = new Map((await this.readTable()).map((row) => [row.bizTag, row]));
    const missing = bizTags.filter((tag) => !rows.has(tag.tag));
    if (missing.length > 0) {
      if (!createMissingTags) {
        throw new LeafStoreError(
          `leaf_alloc has no row for ${missing.map((t) => `"${t.tag}"`).join(', ')} and createMissingTags is off. ` +
            'Insert the rows, or turn createMissingTags on.',
        );
      }
      await this.retry.run(() =>
        this.call('Creating the missing leaf_alloc rows', (signal) => this.ctx.store.createTags(missing, signal)),
      );
      for (const row of await this.readTable()) rows.set(row.bizTag, row);
    }
    for (const spec of bizTags) {
      const { tag, step } = spec;
      const row = rows.get(tag);
      if (row === undefined) throw await this.noRowOfItsOwn(tag);
      if (row.step !== step && spec.stepConfigured) this.ctx.logger.warn(this.stepDiffers(tag, step, row.step));
      this.buffers.set(tag, new SegmentBuffer(tag, validStep(row), true, this.ctx, spec));
    }
    const pending = [...this.buffers.values(), ...this.periodic.map((tag) => tag.current.buffer)];
    const workers = Array.from({ length: Math.min(STARTUP_CONCURRENCY, pending.length) }, async () => {
      for (let buffer = pending.shift(); buffer !== undefined; buffer = pending.shift()) {
        const first = buffer;
        await this.retry
          .run(async () => {
            await first.reserve('startup');
            if (!first.hasSegment) throw first.failure;
          })
          .catch((cause: unknown) => {
            throw this.firstSegmentFailed(first.tag, cause);
          });
      }
    });
    await Promise.all(workers);
  }

  /** A configured step the row does not have: the row wins; how to change it, in what this store understands. */
  private stepDiffers(tag: string, step: number, rowStep: number): string {
    const { store } = this.ctx;
    return (
      `"${tag}" is configured with step ${step} but its row in ${storeLocation(store)} says ${rowStep}; the row ` +
      `wins. To change it: ${setStepAdvice(store, tag, step)}.`
    );
  }

  private async readTable(): Promise<LeafAllocRow[]> {
    try {
      return await this.retry.run(() => this.call('Reading the tags', (signal) => this.ctx.store.listTags(signal)));
    } catch (error) {
      if (error instanceof LeafError) throw error;
      const { store } = this.ctx;
      throw new LeafStoreError(
        `Could not read the tags from ${storeLocation(store)} at startup${this.retry.tried}: ` +
          `${sentence(describeStoreFailure(error))} ${reachAdvice(store, 'SELECT')}`,
        { cause: error },
      );
    }
  }

  private firstSegmentFailed(tag: string, cause: unknown): Error {
    if (cause instanceof LeafError) return cause;
    const { store } = this.ctx;
    return new LeafStoreError(
      `Could not reserve the first segment of "${tag}" from ${storeLocation(store)} at startup${this.retry.tried}: ` +
        `${sentence(describeStoreFailure(cause))} ${reachAdvice(store, 'UPDATE')}`,
      { cause },
    );
  }

  /**
   * A configured tag still without a row after creating the missing ones: under a case- or accent-insensitive
   * collation its INSERT met another tag's row ("ORDER" and "order"), which must never serve both.
   */
  private async noRowOfItsOwn(tag: string): Promise<Error> {
    try {
      await this.call(`Looking up "${tag}"`, (signal) => this.ctx.store.findTag(tag, signal));
      return new UnknownBizTagError(tag);
    } catch (error) {
      if (error instanceof UnknownBizTagError && error.similar !== undefined) {
        return LeafStoreError.collationMatch(tag, error.similar);
      }
      return error as Error;
    }
  }

  private call<T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(this.ctx.options.reservationTimeoutMs, what, run);
  }
}
