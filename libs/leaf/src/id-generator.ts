import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InvalidArgumentError } from './errors/invalid-argument.error.js';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import { ADD_FEATURE_TAGS, LEAF_OPTIONS, LEAF_STORE } from './leaf.constants.js';
import { LeafScheduler } from './leaf.scheduler.js';
import { CodeIssuer } from './code-issuer.js';
import { TagCodes, type ParsedLeafCode } from './codes/tag-codes.js';
import type { SegmentBuffer } from './segment/segment-buffer.js';
import type { LeafTagSnapshot, ReservationEvent } from './segment/segment.types.js';
import type { LeafStore } from './store/leaf-store.js';
import { ReservationListeners } from './reservation-listeners.js';
import { TagRegistry } from './tag-registry.js';
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
  private readonly codes: TagCodes;
  private readonly issuer: CodeIssuer;
  private readonly gapless: GaplessNumbers;
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
    this.codes = new TagCodes(options);
    this.gapless = new GaplessNumbers(options);
    this.registry = new TagRegistry(context, this.codes, {
      forget: (tag) => {
        if (tag === this.lastTag) this.lastTag = this.lastBuffer = undefined;
      },
      whenRunning: (tag) => this.whenRunning(tag),
      state: () => this.state,
    });
    this.issuer = new CodeIssuer(this.codes, this.registry.periodic, {
      nextId: (tag) => this.nextId(tag),
      nextIds: (tag, count) => this.nextIds(tag, count),
      isCount: (count) => this.isCount(count),
      whenRunning: (tag) => (this.state === 'running' ? undefined : this.whenRunning(tag)),
    });
    const host = { tick: (now: number) => this.registry.tick(now), refreshTags: () => this.refreshTags() };
    this.scheduler = new LeafScheduler(host, options, this.logger);
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
    const id = this.inMemory(bizTag)?.pair.takeOne();
    if (id !== undefined) return Promise.resolve(id);
    return new Promise((resolve, reject) =>
      this.registry.whenServed(bizTag, (b) => b.requestOne(resolve, reject), reject),
    );
  }

  /**
   * The next ID of `bizTag` from memory, synchronously, for code that cannot await (an ORM's default-value hook).
   * It never blocks: with no ID of the tag in memory it throws at once, and the refill starts in the background.
   *
   * @throws LeafUnavailableError `not-loaded` (the tag is not served yet: its first use is looking it up), `drained`
   *   (its IDs ran out and the next segment is on its way), or `shutting-down`; the other errors of `nextId`
   */
  nextIdSync(bizTag: string): bigint {
    const buffer = this.inMemory(bizTag);
    const id = buffer?.pair.takeOne();
    if (id !== undefined) return id;
    throw this.registry.refill(bizTag, buffer);
  }

  /** `count` IDs of `bizTag` from memory, synchronously, all or none; throws as `nextIdSync`. */
  nextIdsSync(bizTag: string, count: number): bigint[] {
    if (!this.isCount(count)) throw InvalidArgumentError.badCount('nextIdsSync', count, this.options.maxBatchSize);
    const buffer = this.inMemory(bizTag);
    if (buffer === undefined || buffer.pair.available < count) throw this.registry.refill(bizTag, buffer);
    const ids = new Array<bigint>(count);
    buffer.pair.takeInto(ids, 0, count);
    return ids;
  }

  /**
   * `count` IDs of `bizTag`, unique and increasing, from 1 to `maxBatchSize` (default 10,000).
   * A batch may span segments, so consecutive IDs are not guaranteed.
   *
   * @throws InvalidArgumentError when `count` is not an integer in range, or `bizTag` is malformed
   * @throws UnknownBizTagError, LeafUnavailableError, IdOverflowError as `nextId`
   */
  nextIds(bizTag: string, count: number): Promise<bigint[]> {
    if (!this.isCount(count))
      return Promise.reject(InvalidArgumentError.badCount('nextIds', count, this.options.maxBatchSize));
    const ids = new Array<bigint>(count);
    const buffer = this.registry.buffers.get(bizTag);
    const filled = buffer === undefined ? 0 : buffer.pair.takeInto(ids, 0, count);
    if (filled === count) return Promise.resolve(ids);
    return new Promise((resolve, reject) =>
      this.registry.whenServed(bizTag, (b) => b.requestMany(count - filled, ids, resolve, reject), reject),
    );
  }

  /**
   * The next code of `bizTag`, written in its `format` (`'INV-20261201-000042'`); its bare number for a tag
   * without one. A period tag's code carries the period its number belongs to, even when the call waited across
   * the period's end. Throws the errors of `nextId`.
   */
  nextCode(bizTag: string): Promise<string> {
    return this.issuer.nextCode(bizTag);
  }

  /** `count` codes of `bizTag`, from 1 to `maxBatchSize`, all of one period for a period tag; errors of `nextIds`. */
  nextCodes(bizTag: string, count: number): Promise<string[]> {
    return this.issuer.nextCodes(bizTag, count);
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

  /** `LeafModule.forFeature`: a feature module's tags, served from startup on. */
  [ADD_FEATURE_TAGS](entries: unknown): void {
    this.registry.addFeature(entries);
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

  /**
   * The hot path's one lookup, shared by `nextId` and `nextIdSync`: no I/O, no await, one string compare when the tag
   * is the last one asked for (cheaper than the Map lookup). A period tag is never under its own name: its current
   * period's buffer, after a clock read.
   */
  private inMemory(bizTag: string): SegmentBuffer | undefined {
    if (bizTag === this.lastTag) return this.lastBuffer;
    const buffer = this.registry.buffers.get(bizTag);
    if (buffer !== undefined) {
      this.lastTag = bizTag;
      this.lastBuffer = buffer;
      return buffer;
    }
    return this.state === 'running' ? this.registry.periodic.get(bizTag)?.buffer() : undefined;
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
}
