import { periodOwner, periodRowParts } from './period/period-names.js';
import { PeriodicTag } from './period/periodic-tag.js';
import type { TagCodes } from './codes/tag-codes.js';
import { InvalidArgumentError } from './errors/invalid-argument.error.js';
import { bizTagProblem } from './leaf.options-validation.js';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import { UnknownBizTagError } from './errors/unknown-biz-tag.error.js';
import type { BufferContext } from './segment/buffer-context.js';
import type { LeafTagSnapshot } from './segment/segment.types.js';
import { giveBack } from './segment/give-back.js';
import { SegmentBuffer } from './segment/segment-buffer.js';
import { withDeadline } from './store/store-deadline.js';
import { TagLookups } from './tag-lookups.js';
import type { ResolvedBizTag } from './leaf.defaults.js';
import { InvalidLeafOptionsError } from './errors/invalid-leaf-options.error.js';
import { Calendar } from './calendar.js';
import { Startup } from './startup.js';
import { isStep, validStep } from './segment/row-step.js';
import { addFeatureTags } from './leaf.biz-tags.js';

/** What the registry needs of its generator. */
export interface RegistryHost {
  /** Called when a buffer leaves the map, so no cache keeps serving from it. */
  forget(bizTag: string): void;
  /** Resolves once the generator runs (starting it if need be); rejects when it is shutting down. */
  whenRunning(bizTag: string): Promise<void>;
  state(): 'new' | 'starting' | 'running' | 'closed';
}

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
  /** Gapless series (`nextGapless`), which no segment ever serves. */
  private readonly gapless = new Set<string>();

  constructor(
    private readonly ctx: BufferContext,
    private readonly codes: TagCodes,
    private readonly generator: RegistryHost,
  ) {
    this.lookups = new TagLookups(ctx.store, ctx.options);
    for (const spec of ctx.options.bizTags) this.configure(spec);
  }

  /**
   * Adds a feature module's `bizTags` to the configured ones, before startup: checked as `forRoot`'s are, with the
   * module's defaults, then served from startup on like them.
   */
  addFeature(entries: unknown): void {
    if (this.generator.state() !== 'new') throw InvalidLeafOptionsError.featureAfterStart();
    for (const spec of addFeatureTags(this.ctx.options, entries)) {
      this.codes.add(spec);
      this.configure(spec);
    }
  }

  /** Serves a configured tag: a period tag through its period's rows. */
  private configure(spec: ResolvedBizTag): void {
    if (spec.gapless) this.gapless.add(spec.tag);
    if (spec.period === 'none' || spec.gapless) return;
    const format = this.codes.formatOf(spec.tag);
    this.periodic.set(spec.tag, new PeriodicTag(spec, this.ctx, Calendar.of(this.ctx.options), format));
  }

  /**
   * Creates missing rows and reserves the first segment of every configured tag (`Startup`); the configured tags'
   * buffers join the map.
   */
  boot(): Promise<void> {
    return new Startup(this.ctx, this.buffers, [...this.periodic.values()]).run();
  }

  /** The buffer of a tag that is not served yet: one lookup in the table, shared by concurrent callers. */
  async open(bizTag: string, running: () => boolean): Promise<SegmentBuffer> {
    const problem = bizTagProblem(bizTag);
    if (problem !== undefined) throw new InvalidArgumentError('bizTag', `Invalid biz tag: ${problem}.`);
    const owner = periodOwner(this.ctx.options.bizTags, bizTag);
    if (owner !== undefined) throw InvalidArgumentError.periodRow(bizTag, owner.tag);
    if (this.gapless.has(bizTag)) throw InvalidArgumentError.gaplessTag(bizTag);
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

  /**
   * Everything but the hot path: hands the tag's buffer to `serve` (which takes the IDs, or parks the caller), once
   * the tag is served. The caller's own `resolve` travels down to the buffer, so no promise wrapper delays it behind
   * later callers.
   */
  whenServed(bizTag: string, serve: (buffer: SegmentBuffer) => void, reject: (error: unknown) => void): void {
    const buffer = this.generator.state() === 'running' ? this.served(bizTag) : undefined;
    if (buffer !== undefined) return serve(buffer);
    this.bufferFor(bizTag).then(serve, reject);
  }

  /** Why a synchronous take found nothing in memory, with the refill started (the caller's next try may find it). */
  refill(bizTag: string, buffer: SegmentBuffer | undefined): LeafUnavailableError {
    if (this.generator.state() === 'closed') return LeafUnavailableError.shuttingDown(bizTag);
    if (buffer !== undefined) {
      void buffer.reserve('on-demand');
      return LeafUnavailableError.notInMemory(bizTag, 'drained');
    }
    // A tag not served yet: looked up (and its first segment reserved) as its first asynchronous call would.
    this.bufferFor(bizTag).then(
      (found) => found.reserve('on-demand'),
      () => undefined,
    );
    return LeafUnavailableError.notInMemory(bizTag, 'not-loaded');
  }

  /** The buffer of a tag met for the first time, or during startup. */
  private async bufferFor(bizTag: string): Promise<SegmentBuffer> {
    await this.generator.whenRunning(bizTag);
    return this.served(bizTag) ?? this.open(bizTag, () => this.generator.state() === 'running');
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
    this.generator.forget(tag);
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

  private call<T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(this.ctx.options.reservationTimeoutMs, what, run);
  }
}
