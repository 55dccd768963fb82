import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InvalidArgumentError } from './errors/invalid-argument.error.js';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import { LEAF_OPTIONS, LEAF_STORE } from './leaf.constants.js';
import { LeafScheduler } from './leaf.scheduler.js';
import { TagCodes, type ParsedLeafCode } from './codes/tag-codes.js';
import type { SegmentBuffer } from './segment/segment-buffer.js';
import type { LeafTagSnapshot, ReservationEvent } from './segment/segment.types.js';
import type { LeafStore } from './store/leaf-store.js';
import { ReservationListeners } from './reservation-listeners.js';
import { TagRegistry } from './tag-registry.js';
import { describeValue } from './errors/describe-value.js';
import { type ResolvedLeafOptions } from './leaf.defaults.js';
import { GaplessNumbers, type GaplessCall } from './gapless/gapless-numbers.js';

/**
 * Hands out unique, increasing IDs per biz tag from segments reserved in `leaf_alloc`.
 *
 * Inject it with `@Inject(IdGenerator)` after importing `LeafModule`. IDs come from memory; the database is touched
 * once per segment, in the background.
 */
@Injectable()
export class IdGenerator implements OnModuleInit, OnModuleDestroy {
  private readonly registry: TagRegistry;
  private readonly codes = new TagCodes(this.options);
  private readonly gapless = new GaplessNumbers(this.options);
  private readonly scheduler: LeafScheduler;
  private readonly logger = new Logger('Leaf');
  private readonly listeners = new ReservationListeners(this.logger);
  private lastTag: string | undefined;
  private lastBuffer: SegmentBuffer | undefined;
  private state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  private startup: Promise<void> | null = null;

  constructor(
    @Inject(LEAF_OPTIONS) private readonly options: ResolvedLeafOptions,
    @Inject(LEAF_STORE) private readonly store: LeafStore,
  ) {
    const context = {
      store,
      options,
      logger: this.logger,
      report: (event: ReservationEvent) => this.listeners.report(event),
    };
    this.registry = new TagRegistry(
      context,
      (tag) => {
        if (tag === this.lastTag) this.lastTag = this.lastBuffer = undefined;
      },
      this.codes,
    );
    this.scheduler = new LeafScheduler(
      { tick: (now) => this.registry.tick(now), refreshTags: () => this.refreshTags() },
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
   *
   * For a tag with a `period`, the number within the current period: 1 is the period's first.
   */
  nextId(bizTag: string): Promise<bigint> {
    // The hot path: no I/O, no await, one string compare when the tag is the last one asked for (cheaper than the
    // Map lookup), and the ID taken from the tag's segment pair.
    let buffer = this.lastBuffer;
    if (bizTag !== this.lastTag) {
      buffer = this.registry.buffers.get(bizTag);
      if (buffer !== undefined) {
        this.lastTag = bizTag;
        this.lastBuffer = buffer;
      }
    }
    // A period tag is never under its own name: its current period's buffer, after a clock read, the same take.
    buffer ??= this.state === 'running' ? this.registry.periodic.get(bizTag)?.buffer() : undefined;
    if (buffer !== undefined) {
      const id = buffer.pair.takeOne();
      if (id !== undefined) return Promise.resolve(id);
    }
    return new Promise((resolve, reject) => this.whenServed(bizTag, (b) => b.requestOne(resolve, reject), reject));
  }

  /**
   * `count` IDs of `bizTag`, unique and increasing, from 1 to `maxBatchSize` (default 10,000).
   * A batch may span segments, so consecutive IDs are not guaranteed.
   *
   * @throws InvalidArgumentError when `count` is not an integer in range, or `bizTag` is malformed
   * @throws UnknownBizTagError, LeafUnavailableError, IdOverflowError as `nextId`
   */
  nextIds(bizTag: string, count: number): Promise<bigint[]> {
    if (!this.isCount(count)) {
      return Promise.reject(
        new InvalidArgumentError(
          'count',
          `nextIds count must be an integer from 1 to ${this.options.maxBatchSize} (maxBatchSize), got ${describeValue(count)}.`,
        ),
      );
    }
    const ids = new Array<bigint>(count);
    const buffer = this.registry.buffers.get(bizTag);
    const filled = buffer === undefined ? 0 : buffer.pair.takeInto(ids, 0, count);
    if (filled === count) return Promise.resolve(ids);
    return new Promise((resolve, reject) =>
      this.whenServed(bizTag, (b) => b.requestMany(count - filled, ids, resolve, reject), reject),
    );
  }

  /**
   * The next code of `bizTag`, written in its `format` (`'INV-20261201-000042'`); its bare number for a tag
   * without one. A period tag's code carries the period its number belongs to, even when the call waited across
   * the period's end.
   *
   * @throws the errors of `nextId`
   */
  nextCode(bizTag: string): Promise<string> {
    const periodic = this.registry.periodic.get(bizTag);
    if (periodic === undefined) {
      const rendering = this.codes.rendering(bizTag);
      return this.nextId(bizTag).then((id) => rendering.code(id));
    }
    if (this.state === 'running') return periodic.nextCode();
    return this.whenRunning(bizTag).then(() => periodic.nextCode());
  }

  /**
   * `count` codes of `bizTag`, from 1 to `maxBatchSize`, all of one period for a period tag.
   *
   * @throws the errors of `nextIds`
   */
  nextCodes(bizTag: string, count: number): Promise<string[]> {
    const periodic = this.registry.periodic.get(bizTag);
    if (periodic === undefined || !this.isCount(count)) {
      const rendering = this.codes.rendering(bizTag);
      return this.nextIds(bizTag, count).then((ids) => ids.map((id) => rendering.code(id)));
    }
    if (this.state === 'running') return periodic.nextCodes(count);
    return this.whenRunning(bizTag).then(() => periodic.nextCodes(count));
  }

  /**
   * Reads a code of `bizTag` back: `parseCode('invoice', 'INV-20261201-000042')` is
   * `{ period: '20261201', seq: 42n }` (`period` null for a tag without one). Synchronous: no I/O.
   *
   * @throws InvalidArgumentError when `code` is not a code `nextCode` would write for `bizTag`: another tag's, a
   *   date that does not exist, a number out of range or with extra leading zeros
   */
  parseCode(bizTag: string, code: string): ParsedLeafCode {
    return this.codes.parse(bizTag, code);
  }

  /**
   * The next number of a gapless series, taken in your transaction (`manager`: its EntityManager, or a GaplessExecutor)
   * and given back by its rollback; waits at most `waitTimeoutMs`. Errors: see `GaplessNumbers` (gapless/).
   */
  nextGapless(bizTag: string, call: GaplessCall): Promise<bigint> {
    return this.gapless.next(bizTag, call);
  }

  /** `nextGapless`, written in the tag's `format` (`'F2026-000042'`) with the database's date. Same errors. */
  nextGaplessCode(bizTag: string, call: GaplessCall): Promise<string> {
    return this.gapless.nextCode(bizTag, call);
  }

  /** A read-only picture of every tag served now (a period tag as its current period), for health and metrics. */
  inspect(): LeafTagSnapshot[] {
    return this.registry.snapshots();
  }

  /** Whether startup has completed and shutdown has not begun. */
  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** Calls `listener` after every reservation attempt (latency histograms, alerts); returns its unsubscribe. */
  onReservation(listener: (event: ReservationEvent) => void): () => void {
    return this.listeners.add(listener);
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

  /** Stops the scheduler, fails waiting callers, waits for in-flight reservations and gives tails back. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.scheduler.stop();
    this.lastTag = this.lastBuffer = undefined;
    await this.registry.close();
  }

  /** Re-reads every served tag's step from `leaf_alloc` now; the new step applies from the next reservation. */
  refreshTags(): Promise<void> {
    return this.registry.refresh();
  }

  private isCount(count: number): boolean {
    return Number.isInteger(count) && count >= 1 && count <= this.options.maxBatchSize;
  }

  /** Resolves once the generator runs (starting it if need be); rejects when it is shutting down. */
  private async whenRunning(bizTag: string): Promise<void> {
    if (this.state === 'new' || this.state === 'starting') await this.start();
    if (this.state !== 'running') throw LeafUnavailableError.shuttingDown(bizTag);
  }

  private async boot(): Promise<void> {
    this.state = 'starting';
    await this.registry.boot();
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.scheduler.start();
    this.logger.log(`Serving ${this.options.bizTags.length} biz tag(s) from ${this.store.engine}.`);
  }

  /**
   * Everything but the hot path: hands the tag's buffer to `serve` (which takes the IDs, or parks the caller) once it
   * is served; the caller's own `resolve` travels down to it, so no promise wrapper delays it behind later callers.
   */
  private whenServed(bizTag: string, serve: (buffer: SegmentBuffer) => void, reject: (error: unknown) => void): void {
    const buffer = this.state === 'running' ? this.registry.served(bizTag) : undefined;
    if (buffer !== undefined) return serve(buffer);
    this.bufferFor(bizTag).then(serve, reject);
  }

  /** The buffer of a tag met for the first time, or during startup. */
  private async bufferFor(bizTag: string): Promise<SegmentBuffer> {
    await this.whenRunning(bizTag);
    return this.registry.served(bizTag) ?? this.registry.open(bizTag, () => this.state === 'running');
  }
}
