import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InvalidArgumentError } from './errors/invalid-argument.error.js';
import { LeafError } from './errors/leaf.error.js';
import { LeafStoreError } from './errors/leaf-store.error.js';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import { UnknownBizTagError } from './errors/unknown-biz-tag.error.js';
import { LEAF_OPTIONS, LEAF_STORE } from './leaf.constants.js';
import { bizTagProblem, describeValue, type ResolvedLeafOptions } from './leaf.options.js';
import { LeafScheduler } from './leaf.scheduler.js';
import {
  SegmentBuffer,
  type BufferContext,
  type LeafTagSnapshot,
  type ReservationEvent,
} from './segment/segment-buffer.js';
import type { LeafAllocRow, LeafStore } from './store/leaf-store.js';
import { sqlLiteral } from './store/sql-dialect.js';

/** Reservations at boot run this many at a time, so 10,000 tags do not open 10,000 queries at once. */
const STARTUP_CONCURRENCY = 16;

type Listener = (event: ReservationEvent) => void;

/**
 * Hands out unique, increasing IDs per biz tag from segments reserved in `leaf_alloc`.
 *
 * Inject it with `@Inject(IdGenerator)` (or plain constructor injection) after importing `LeafModule`.
 * IDs come from memory; the database is touched once per segment, in the background.
 */
@Injectable()
export class IdGenerator implements OnModuleInit, OnModuleDestroy {
  private buffers = new Map<string, SegmentBuffer>();
  private lastTag: string | undefined;
  private lastBuffer: SegmentBuffer | undefined;
  private readonly lookups = new Map<string, Promise<SegmentBuffer>>();
  private readonly listeners = new Set<Listener>();
  private readonly logger = new Logger('Leaf');
  private readonly context: BufferContext;
  private readonly scheduler: LeafScheduler;
  private state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  private startup: Promise<void> | null = null;

  constructor(
    @Inject(LEAF_OPTIONS) private readonly options: ResolvedLeafOptions,
    @Inject(LEAF_STORE) private readonly store: LeafStore,
  ) {
    this.context = { store, options, logger: this.logger, report: (event) => this.report(event) };
    this.scheduler = new LeafScheduler(
      { tick: (now) => this.tick(now), refreshTags: () => this.refreshTags() },
      options,
      this.logger,
    );
  }

  /**
   * The next ID of `bizTag`. Resolves at once while IDs are in memory; otherwise waits for the segment
   * being reserved, at most `waitTimeoutMs`.
   *
   * @throws InvalidArgumentError when `bizTag` is not a non-empty string of at most 128 characters, or holds a
   *   control character, line break, invisible format character or lone surrogate
   * @throws UnknownBizTagError when the tag is neither configured nor in `leaf_alloc`, or the table's collation
   *   matches it to another spelling's row
   * @throws LeafUnavailableError when no ID could be had in time, or during shutdown
   * @throws IdOverflowError when the tag has used up the BIGINT range
   */
  nextId(bizTag: string): Promise<bigint> {
    let buffer = this.lastBuffer;
    if (bizTag !== this.lastTag) {
      // Most callers ask for the same tag over and over: a string compare is cheaper than a Map lookup.
      buffer = this.buffers.get(bizTag);
      if (buffer !== undefined) {
        this.lastTag = bizTag;
        this.lastBuffer = buffer;
      }
    }
    if (buffer !== undefined) {
      const offset = buffer.offset;
      if (offset < buffer.size) {
        buffer.offset = offset + 1;
        if (offset >= buffer.prefetchOffset) buffer.onLow();
        return Promise.resolve(buffer.base + BigInt(offset));
      }
    }
    return new Promise((resolve, reject) => this.request(bizTag, 1, null, resolve, reject));
  }

  /**
   * `count` IDs of `bizTag`, unique and increasing, from 1 to `maxBatchSize` (default 10,000).
   * A batch may span segments, so consecutive IDs are not guaranteed.
   *
   * @throws InvalidArgumentError when `count` is not an integer in range, or `bizTag` is malformed
   * @throws UnknownBizTagError, LeafUnavailableError, IdOverflowError as `nextId`
   */
  nextIds(bizTag: string, count: number): Promise<bigint[]> {
    if (!Number.isInteger(count) || count < 1 || count > this.options.maxBatchSize) {
      return Promise.reject(
        new InvalidArgumentError(
          'count',
          `nextIds count must be an integer from 1 to ${this.options.maxBatchSize} (maxBatchSize), got ${describeValue(count)}.`,
        ),
      );
    }
    const ids = new Array<bigint>(count);
    const buffer = this.buffers.get(bizTag);
    const filled = buffer === undefined ? 0 : buffer.takeInto(ids, 0, count);
    if (filled === count) return Promise.resolve(ids);
    return new Promise((resolve, reject) => this.request(bizTag, count - filled, ids, resolve, reject));
  }

  /** A read-only picture of every tag served so far, for health checks, metrics and monitoring. */
  inspect(): LeafTagSnapshot[] {
    return [...this.buffers.values()].map((buffer) => buffer.snapshot());
  }

  /** Whether startup has completed and shutdown has not begun. */
  get isRunning(): boolean {
    return this.state === 'running';
  }

  /**
   * Calls `listener` after every reservation attempt (for latency histograms and alerts).
   * Returns a function that unsubscribes it.
   */
  onReservation(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Nest lifecycle: reserves the first segment of every configured tag before the app serves. */
  async onModuleInit(): Promise<void> {
    await this.start();
  }

  /** Nest lifecycle: runs before TypeORM closes its DataSource, so in-flight reservations can finish. */
  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  /**
   * Creates missing rows, reserves the first segment of every configured tag and starts the scheduler.
   * Called by Nest on module init; call it yourself when constructing the generator by hand.
   */
  start(): Promise<void> {
    this.startup ??= this.boot();
    return this.startup;
  }

  /** Stops the scheduler, fails waiting callers and waits for in-flight reservations. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.scheduler.stop();
    const buffers = [...this.buffers.values()];
    // An empty map sends every call down the slow path, which answers "shutting down".
    this.buffers = new Map();
    this.lastTag = this.lastBuffer = undefined;
    await Promise.all(
      buffers.map(async (buffer) => {
        const unused = await buffer.close();
        if (unused !== undefined && this.options.giveBackOnShutdown) await this.giveBack(buffer.tag, unused);
      }),
    );
  }

  /** Returns an unused tail to the table; a node that reserved since makes it a gap instead, never a duplicate. */
  private async giveBack(bizTag: string, { firstUnused, end }: { firstUnused: bigint; end: bigint }): Promise<void> {
    try {
      const returned = await this.store.giveBack(bizTag, firstUnused, end);
      this.logger.log(
        returned
          ? `Gave back ${end - firstUnused} unused IDs of "${bizTag}" (max_id ${end} -> ${firstUnused}).`
          : `Kept the ${end - firstUnused} unused IDs of "${bizTag}" as a gap: another node reserved since.`,
      );
    } catch (error) {
      this.logger.warn(`Could not give back the unused IDs of "${bizTag}": ${String(error)}. They stay a gap.`);
    }
  }

  private async boot(): Promise<void> {
    this.state = 'starting';
    const { bizTags, createMissingTags } = this.options;
    const rows = new Map((await this.readTable()).map((row) => [row.bizTag, row]));
    const missing = bizTags.filter((tag) => !rows.has(tag.tag));
    if (missing.length > 0) {
      if (!createMissingTags) {
        throw new LeafStoreError(
          `leaf_alloc has no row for ${missing.map((t) => `"${t.tag}"`).join(', ')} and createMissingTags is off. ` +
            'Insert the rows, or turn createMissingTags on.',
        );
      }
      await this.store.createTags(missing);
      for (const row of await this.readTable()) rows.set(row.bizTag, row);
    }
    for (const { tag, step } of bizTags) {
      const row = rows.get(tag);
      if (row === undefined) throw await this.noRowOfItsOwn(tag);
      if (row.step !== step) {
        this.logger.warn(
          `"${tag}" is configured with step ${step} but its leaf_alloc row says ${row.step}; the row wins. ` +
            `To change it: UPDATE leaf_alloc SET step = ${step} WHERE biz_tag = ${sqlLiteral(tag)}.`,
        );
      }
      this.buffers.set(tag, new SegmentBuffer(tag, validStep(row), true, this.context));
    }
    const pending = [...this.buffers.values()];
    const workers = Array.from({ length: Math.min(STARTUP_CONCURRENCY, pending.length) }, async () => {
      for (let buffer = pending.shift(); buffer !== undefined; buffer = pending.shift()) {
        await buffer.reserve('startup');
        if (!buffer.hasSegment) {
          const cause = buffer.failure;
          if (cause instanceof LeafError) throw cause;
          throw new LeafStoreError(
            `Could not reserve the first segment of "${buffer.tag}" at startup: ${String(cause)}. ` +
              'Check that the database is reachable and the user may UPDATE leaf_alloc.',
            { cause },
          );
        }
      }
    });
    await Promise.all(workers);
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.scheduler.start();
    this.logger.log(`Serving ${bizTags.length} biz tag(s) from ${this.store.engine}.`);
  }

  /**
   * A configured tag still without a row after creating the missing ones: under a case- or accent-insensitive
   * collation its INSERT met another tag's row ("ORDER" and "order"), which must never serve both.
   */
  private async noRowOfItsOwn(tag: string): Promise<Error> {
    const alias = await this.store.findTag(tag);
    if (alias === undefined) return new UnknownBizTagError(tag);
    return LeafStoreError.collationMatch(tag, alias.bizTag);
  }

  private async readTable(): Promise<LeafAllocRow[]> {
    try {
      return await this.store.listTags();
    } catch (error) {
      if (error instanceof LeafError) throw error;
      throw new LeafStoreError(
        `Could not read leaf_alloc at startup: ${String(error)}. ` +
          'Check that the database is reachable and the user may SELECT from leaf_alloc.',
        { cause: error },
      );
    }
  }

  /**
   * Everything but the hot path: `remaining` IDs still owed (into the tail of `ids` for a batch). The caller's
   * own `resolve` travels down to the buffer, so no promise wrapper delays it behind later callers.
   */
  private request(
    bizTag: string,
    remaining: number,
    ids: bigint[] | null,
    resolve: (value: never) => void,
    reject: (error: unknown) => void,
  ): void {
    const buffer = this.state === 'running' ? this.buffers.get(bizTag) : undefined;
    if (buffer !== undefined) return buffer.request(remaining, ids, resolve, reject);
    this.bufferFor(bizTag).then((found) => found.request(remaining, ids, resolve, reject), reject);
  }

  /** The buffer of a tag met for the first time, or during startup. */
  private async bufferFor(bizTag: string): Promise<SegmentBuffer> {
    if (this.state !== 'running') await this.whenRunning(bizTag);
    const buffer = this.buffers.get(bizTag);
    if (buffer !== undefined) return buffer;
    const problem = bizTagProblem(bizTag);
    if (problem !== undefined) throw new InvalidArgumentError('bizTag', `Invalid biz tag: ${problem}.`);
    return this.discover(bizTag);
  }

  /** A call before startup finished (say, from another provider's onModuleInit) waits for it. */
  private async whenRunning(bizTag: string): Promise<void> {
    if (this.state === 'new' || this.state === 'starting') await this.start();
    if (this.state !== 'running') throw LeafUnavailableError.shuttingDown(bizTag);
  }

  /** A tag that is not configured: served if `leaf_alloc` has a row for it (one lookup, shared by concurrent callers). */
  private discover(bizTag: string): Promise<SegmentBuffer> {
    let lookup = this.lookups.get(bizTag);
    if (lookup === undefined) {
      lookup = this.store
        .findTag(bizTag)
        .catch((error: unknown) => {
          if (error instanceof LeafError) throw error;
          throw new LeafUnavailableError(
            bizTag,
            'unreachable',
            `Could not look up "${bizTag}" in leaf_alloc: ${String(error)}. Check the database; the call may be retried.`,
            { cause: error },
          );
        })
        .then((row) => {
          // A case-insensitive collation finds "order" for "ORDER"; serving it would open a second buffer on
          // the same row for every spelling a client cares to send.
          if (row === undefined) throw new UnknownBizTagError(bizTag);
          if (row.bizTag !== bizTag) throw UnknownBizTagError.collationMatch(bizTag, row.bizTag);
          let buffer = this.buffers.get(bizTag);
          if (buffer === undefined && this.state === 'running') {
            buffer = new SegmentBuffer(bizTag, validStep(row), false, this.context);
            this.buffers.set(bizTag, buffer);
          }
          if (buffer === undefined) throw LeafUnavailableError.shuttingDown(bizTag);
          return buffer;
        })
        .finally(() => this.lookups.delete(bizTag));
      this.lookups.set(bizTag, lookup);
    }
    return lookup;
  }

  private tick(now: number): void {
    for (const buffer of this.buffers.values()) buffer.tick(now);
  }

  /**
   * Re-reads every served tag's step from `leaf_alloc` now rather than at the next `tagRefreshIntervalMs`.
   * The new step applies from the next reservation.
   */
  async refreshTags(): Promise<void> {
    for (const row of await this.store.listTags()) {
      const buffer = this.buffers.get(row.bizTag);
      if (buffer === undefined) continue;
      if (Number.isInteger(row.step) && row.step > 0) buffer.setBaseStep(row.step);
      else this.logger.warn(`leaf_alloc row "${row.bizTag}" has step ${row.step}; keeping the step in use.`);
    }
  }

  private report(event: ReservationEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error(`A reservation listener threw: ${String(error)}`);
      }
    }
  }
}

function validStep(row: LeafAllocRow): number {
  if (Number.isInteger(row.step) && row.step > 0) return row.step;
  throw new LeafStoreError(
    `leaf_alloc row "${row.bizTag}" has step ${row.step}; a step must be a positive integer. ` +
      `Fix it with: UPDATE leaf_alloc SET step = 1000 WHERE biz_tag = ${sqlLiteral(row.bizTag)}.`,
  );
}
