import { LeafError } from './errors/leaf.error.js';
import { periodOwner, periodRowParts } from './period/period-names.js';
import { PeriodicTag } from './period/periodic-tag.js';
import type { TagCodes } from './period/tag-codes.js';
import { InvalidArgumentError } from './errors/invalid-argument.error.js';
import { bizTagProblem } from './leaf.options-validation.js';
import { LeafStoreError } from './errors/leaf-store.error.js';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import { UnknownBizTagError } from './errors/unknown-biz-tag.error.js';
import type { BufferContext } from './segment/buffer-context.js';
import type { LeafTagSnapshot } from './segment/segment.types.js';
import { giveBack } from './segment/give-back.js';
import { SegmentBuffer } from './segment/segment-buffer.js';
import type { LeafAllocRow } from './store/leaf-store.js';
import { withDeadline } from './store/store-deadline.js';
import { TagLookups } from './tag-lookups.js';
import { BootRetry } from './boot-retry.js';
import { describeStoreFailure } from './errors/store-failure.js';
import { sentence } from './errors/error-message.js';
import { reachAdvice, setStepAdvice, storeLocation } from './store/store-advice.js';

/** Reservations at boot run this many at a time, so 10,000 tags do not open 10,000 queries at once. */
const STARTUP_CONCURRENCY = 16;

/**
 * The buffers of every tag served: the configured ones, reserved at boot and kept for good, and the ones found in the
 * table on first use, closed again (their tail given back) once idle for `idleTagTimeoutMs`.
 */
export class TagRegistry {
  readonly buffers = new Map<string, SegmentBuffer>();
  /** Tags whose sequence restarts every period: served through their current period's row, never by their name. */
  readonly periodic = new Map<string, PeriodicTag>();
  private readonly lookups: TagLookups;
  /** Tags being closed while idle: a call for one waits until its tail is back, then opens it anew. */
  private readonly closing = new Map<string, Promise<void>>();
  /**
   * Of each tag closed while idle, what its next buffer must not reserve below: the end of what it held, or the
   * first ID it gave back. Keeps "never re-issue" across a close, for as many tags as the table has.
   */
  private readonly floors = new Map<string, bigint>();

  /** @param forget called when a buffer leaves the map, so no cache keeps serving from it */
  constructor(
    private readonly ctx: BufferContext,
    private readonly forget: (bizTag: string) => void,
    codes: TagCodes,
  ) {
    this.lookups = new TagLookups(ctx.store, ctx.options);
    for (const spec of ctx.options.bizTags) {
      if (spec.period === 'none') continue;
      this.periodic.set(spec.tag, new PeriodicTag(spec, ctx, codes.calendar, codes.formatOf(spec.tag)));
    }
  }

  /**
   * Creates missing rows and reserves the first segment of every configured tag, retrying what fails for a while
   * within `bootTimeoutMs` (`BootRetry`).
   */
  async boot(): Promise<void> {
    const { createMissingTags } = this.ctx.options;
    const retry = new BootRetry(this.ctx.options);
    const bizTags = this.ctx.options.bizTags.filter((tag) => tag.period === 'none');
    const rows = new Map((await this.readTable(retry)).map((row) => [row.bizTag, row]));
    const missing = bizTags.filter((tag) => !rows.has(tag.tag));
    if (missing.length > 0) {
      if (!createMissingTags) {
        throw new LeafStoreError(
          `leaf_alloc has no row for ${missing.map((t) => `"${t.tag}"`).join(', ')} and createMissingTags is off. ` +
            'Insert the rows, or turn createMissingTags on.',
        );
      }
      await retry.run(() =>
        this.call('Creating the missing leaf_alloc rows', (signal) => this.ctx.store.createTags(missing, signal)),
      );
      for (const row of await this.readTable(retry)) rows.set(row.bizTag, row);
    }
    for (const spec of bizTags) {
      const { tag, step } = spec;
      const row = rows.get(tag);
      if (row === undefined) throw await this.noRowOfItsOwn(tag);
      if (row.step !== step && spec.stepConfigured) this.ctx.logger.warn(this.stepDiffers(tag, step, row.step));
      this.buffers.set(tag, new SegmentBuffer(tag, validStep(row), true, this.ctx, spec));
    }
    const pending = [...this.buffers.values(), ...[...this.periodic.values()].map((tag) => tag.current.buffer)];
    const workers = Array.from({ length: Math.min(STARTUP_CONCURRENCY, pending.length) }, async () => {
      for (let buffer = pending.shift(); buffer !== undefined; buffer = pending.shift()) {
        const first = buffer;
        await retry
          .run(async () => {
            await first.reserve('startup');
            if (!first.hasSegment) throw first.failure;
          })
          .catch((cause: unknown) => {
            throw this.firstSegmentFailed(first.tag, cause, retry);
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

  /** The buffer of a tag that is not served yet: one lookup in the table, shared by concurrent callers. */
  async open(bizTag: string, running: () => boolean): Promise<SegmentBuffer> {
    const problem = bizTagProblem(bizTag);
    if (problem !== undefined) throw new InvalidArgumentError('bizTag', `Invalid biz tag: ${problem}.`);
    const owner = periodOwner(this.ctx.options.bizTags, bizTag);
    if (owner !== undefined) throw InvalidArgumentError.periodRow(bizTag, owner.tag);
    await this.closing.get(bizTag);
    const row = await this.lookups.find(bizTag);
    if (row === undefined) throw new UnknownBizTagError(bizTag);
    let buffer = this.buffers.get(bizTag);
    if (buffer === undefined) {
      if (!running()) throw LeafUnavailableError.shuttingDown(bizTag);
      buffer = new SegmentBuffer(bizTag, validStep(row), false, this.ctx);
      const floor = this.floors.get(bizTag);
      if (floor !== undefined) buffer.gaveBack(floor);
      this.buffers.set(bizTag, buffer);
    }
    return buffer;
  }

  /** The buffer serving `bizTag` now, if it is served: a period tag's is its current period's. */
  served(bizTag: string): SegmentBuffer | undefined {
    return this.buffers.get(bizTag) ?? this.periodic.get(bizTag)?.buffer();
  }

  /** A picture of every tag served now, a period tag as its current period. */
  snapshots(): LeafTagSnapshot[] {
    return [
      ...[...this.buffers.values()].map((b) => b.snapshot()),
      ...[...this.periodic.values()].map((t) => t.snapshot()),
    ];
  }

  /** The scheduler's look at every tag: retries, prefetch, and closing tags found on first use that went idle. */
  tick(now: number): void {
    const idleMs = this.ctx.options.idleTagTimeoutMs;
    for (const buffer of this.buffers.values()) {
      buffer.tick(now);
      if (idleMs > 0 && !buffer.configured && buffer.idleFor(now) >= idleMs && buffer.quiet) {
        void this.closeIdle(buffer);
      }
    }
    for (const tag of this.periodic.values()) tag.tick(now);
  }

  /** Re-reads every served tag's step from `leaf_alloc`; the new step applies from the next reservation. */
  async refresh(): Promise<void> {
    for (const row of await this.call('Reading leaf_alloc', (signal) => this.ctx.store.listTags(signal))) {
      const buffer = this.buffers.get(row.bizTag);
      const owner = periodRowParts(row.bizTag);
      const periodic = owner && this.periodic.get(owner.tag);
      if (isStep(row.step)) periodic?.setBaseStep(row.bizTag, row.step);
      if (buffer === undefined) continue;
      if (isStep(row.step)) buffer.setBaseStep(row.step);
      else this.ctx.logger.warn(`leaf_alloc row "${row.bizTag}" has step ${row.step}; keeping the step in use.`);
    }
  }

  /** Closes every buffer and gives back their tails (when `giveBackOnShutdown`). */
  async close(): Promise<void> {
    const buffers = [...this.buffers.values()];
    this.buffers.clear();
    const { giveBackOnShutdown } = this.ctx.options;
    await Promise.all([
      ...[...this.periodic.values()].map((tag) => tag.close(giveBackOnShutdown)),
      ...this.closing.values(),
      ...buffers.map(async (buffer) => {
        const tail = await buffer.close();
        if (tail !== undefined && this.ctx.options.giveBackOnShutdown) await giveBack(this.ctx, buffer.tag, tail);
      }),
    ]);
  }

  private closeIdle(buffer: SegmentBuffer): Promise<void> {
    const { tag } = buffer;
    this.buffers.delete(tag);
    this.forget(tag);
    const done = (async () => {
      const floor = buffer.floor;
      const tail = await buffer.close();
      const returned = tail !== undefined && (await giveBack(this.ctx, tag, tail));
      const next = returned ? tail.firstUnused : floor;
      if (next !== null) this.floors.set(tag, next);
      this.ctx.logger.log(`Closed "${tag}" after ${this.ctx.options.idleTagTimeoutMs} ms without a call.`);
    })().finally(() => this.closing.delete(tag));
    this.closing.set(tag, done);
    return done;
  }

  private async readTable(retry: BootRetry): Promise<LeafAllocRow[]> {
    try {
      return await retry.run(() => this.call('Reading the tags', (signal) => this.ctx.store.listTags(signal)));
    } catch (error) {
      if (error instanceof LeafError) throw error;
      const { store } = this.ctx;
      throw new LeafStoreError(
        `Could not read the tags from ${storeLocation(store)} at startup${retry.tried}: ` +
          `${sentence(describeStoreFailure(error))} ${reachAdvice(store, 'SELECT')}`,
        { cause: error },
      );
    }
  }

  private firstSegmentFailed(tag: string, cause: unknown, retry: BootRetry): Error {
    if (cause instanceof LeafError) return cause;
    const { store } = this.ctx;
    return new LeafStoreError(
      `Could not reserve the first segment of "${tag}" from ${storeLocation(store)} at startup${retry.tried}: ` +
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

/** A step a reservation can use: what `leaf_alloc.step` must hold. */
function isStep(step: number): boolean {
  return Number.isInteger(step) && step > 0;
}

function validStep(row: LeafAllocRow): number {
  if (isStep(row.step)) return row.step;
  throw LeafStoreError.badStep(row.bizTag, row.step);
}
