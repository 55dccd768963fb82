import type { LoggerService } from '@nestjs/common';
import { IdOverflowError } from '../errors/id-overflow.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { LeafUnavailableError } from '../errors/leaf-unavailable.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import type { ResolvedLeafOptions } from '../leaf.options.js';
import type { LeafStore, ReservedRange } from '../store/leaf-store.js';
import { createSegment, PREFETCH_STARTED, type Segment } from './segment.js';
import { nextDynamicStep } from './step-policy.js';
import { WaiterQueue } from './waiter-queue.js';

/** Why a reservation was made: at boot, ahead of need, or because a caller is waiting for it. */
export type ReservationTrigger = 'startup' | 'prefetch' | 'on-demand';

/** One reservation attempt, as reported to `IdGenerator.onReservation` listeners. */
export interface ReservationEvent {
  readonly tag: string;
  readonly trigger: ReservationTrigger;
  readonly step: number;
  readonly latencyMs: number;
  readonly ok: boolean;
  /** The reserved range, when `ok`. */
  readonly range?: ReservedRange;
  readonly error?: unknown;
}

/** A read-only picture of one tag, for health checks, metrics and the monitor page. */
export interface LeafTagSnapshot {
  readonly tag: string;
  /** Listed in `bizTags` (as opposed to found in the table on first use). */
  readonly configured: boolean;
  /** The segment IDs are served from, `[start, end)`. */
  readonly current: { readonly start: bigint; readonly end: bigint } | null;
  /** The ID the next call gets from the current segment. */
  readonly nextPosition: bigint | null;
  /** IDs left in the current segment. */
  readonly remaining: bigint;
  /** The standby segment, when reserved. */
  readonly next: { readonly start: bigint; readonly end: bigint } | null;
  readonly nextReady: boolean;
  /** IDs left in memory, current and next segments together. */
  readonly available: bigint;
  /** A reservation is under way. */
  readonly loading: boolean;
  /** The step in use: the size of the current segment (before the first reservation, the step it will use). */
  readonly step: number;
  /** The row's step: the floor of the dynamic step. */
  readonly baseStep: number;
  readonly idsIssued: number;
  readonly reservations: number;
  readonly reservationsByTrigger: Readonly<Record<ReservationTrigger, number>>;
  readonly lastReservationLatencyMs: number | null;
  readonly lastReservationAt: Date | null;
  /** Whether the newest reservation attempt succeeded (true before the first attempt). */
  readonly lastReservationOk: boolean;
  /** Failed reservation attempts since the last success. */
  readonly consecutiveFailures: number;
  readonly errors: number;
  readonly lastError: { readonly message: string; readonly at: Date } | null;
  /** Calls that found memory empty and waited for a reservation. */
  readonly waits: number;
  /** Calls waiting right now. */
  readonly waiting: number;
}

/** What a buffer needs from its generator. */
export interface BufferContext {
  readonly store: LeafStore;
  readonly options: ResolvedLeafOptions;
  readonly logger: LoggerService;
  readonly report: (event: ReservationEvent) => void;
}

/** Errors that retrying will not cure: callers hear of them at once instead of at their timeout. */
function isPermanent(error: unknown): boolean {
  return error instanceof UnknownBizTagError || error instanceof IdOverflowError || error instanceof LeafStoreError;
}

/**
 * The dual buffer of one biz tag: the current segment IDs come from, a standby segment reserved in the
 * background before the current one runs out, at most one reservation in flight, and the queue of callers
 * who found both empty.
 *
 * Invariant: callers wait only while memory is empty, and a landing segment serves them synchronously, so
 * a caller that finds IDs in memory never overtakes one that waits.
 */
export class SegmentBuffer {
  // The fields IdGenerator.nextId reads and writes directly: the whole hot path. The position is a number
  // offset from a bigint base, so a call stores no new bigint into this long-lived object (a write barrier)
  // and its checks compare small integers.
  /** First ID of the current segment. */
  base = 0n;
  /** Offset from `base` of the next ID to hand out. */
  offset = 0;
  /** Size of the current segment: `offset === size` means it is used up. */
  size = 0;
  /** Issuing the ID at this offset reserves the next segment; PREFETCH_STARTED once that is done. */
  prefetchOffset = PREFETCH_STARTED;

  private current: Segment | null = null;
  private next: Segment | null = null;
  private inFlight: Promise<void> | null = null;
  private readonly waiters = new WaiterQueue();
  private waitTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private demandScheduled = false;
  private serving = false;

  /** Dynamic step, before any enlargement for a large waiting batch. */
  private stepInUse: number;
  private lastReservationAt = 0;
  private lastLatencyMs: number | null = null;
  private consecutiveFailures = 0;
  private retryAt = 0;
  private lastFailure: { error: unknown; at: number } | null = null;
  private reservations = 0;
  private readonly byTrigger: Record<ReservationTrigger, number> = { startup: 0, prefetch: 0, 'on-demand': 0 };
  private errors = 0;
  private waits = 0;
  private issuedBeforeCurrent = 0;
  private sampleIssued = 0;
  private sampleAt = 0;
  /** IDs per ms over the last scheduler tick. */
  private ratePerMs = 0;
  private installedAt = 0;
  /** The end of the highest segment reserved: every ID this node issued lies below it. */
  private highestEnd: bigint | null = null;

  constructor(
    readonly tag: string,
    private baseStep: number,
    readonly configured: boolean,
    private readonly ctx: BufferContext,
  ) {
    this.stepInUse = Math.min(baseStep, ctx.options.maxStep);
  }

  /** True once a segment has been reserved (IDs may still have run out since). */
  get hasSegment(): boolean {
    return this.current !== null;
  }

  /** The cause of the newest failed reservation, if the newest attempt failed. */
  get failure(): unknown {
    return this.consecutiveFailures > 0 ? this.lastFailure?.error : undefined;
  }

  /** Called by the hot path when it issues the ID at the prefetch offset. */
  onLow(): void {
    this.prefetchOffset = PREFETCH_STARTED;
    // While waiters are being served their demand is in flux; reserved() decides once they are done.
    if (this.serving) return;
    if (this.next === null && this.inFlight === null && Date.now() >= this.retryAt) void this.reserve('prefetch');
  }

  /** One ID from memory, switching to the standby segment when the current one is used up. */
  takeOne(): bigint | undefined {
    if (this.offset >= this.size && !this.advance()) return undefined;
    const offset = this.offset++;
    if (offset >= this.prefetchOffset) this.onLow();
    return this.base + BigInt(offset);
  }

  /** Writes up to `count` IDs from memory into `out` from index `from`; returns how many it wrote. */
  takeInto(out: bigint[], from: number, count: number): number {
    let filled = 0;
    while (filled < count) {
      if (this.offset >= this.size && !this.advance()) break;
      const n = Math.min(this.size - this.offset, count - filled);
      let id = this.base + BigInt(this.offset);
      const stop = from + filled + n;
      // `id += 1n` rather than `id++`: V8 optimizes the former several times better for bigints.
      for (let i = from + filled; i < stop; i++) {
        out[i] = id;
        id += 1n;
      }
      this.offset += n;
      filled += n;
      if (this.offset > this.prefetchOffset) this.onLow();
    }
    return filled;
  }

  /**
   * Hands `remaining` IDs to a caller (into the tail of `ids` for a batch): from memory now if it has them,
   * otherwise once a reservation lands. `resolve` is the caller's own, called the moment its IDs are taken,
   * so callers observe IDs in the order they were issued.
   */
  request(remaining: number, ids: bigint[] | null, resolve: (value: never) => void, reject: (error: unknown) => void): void {
    if (ids === null) {
      const id = this.takeOne();
      if (id !== undefined) return resolve(id as never);
    } else {
      remaining -= this.takeInto(ids, ids.length - remaining, remaining);
      if (remaining === 0) return resolve(ids as never);
    }
    const refusal = this.refusal();
    if (refusal !== undefined) return reject(refusal);
    this.waits++;
    this.waiters.push({ remaining, ids, deadline: Date.now() + this.ctx.options.waitTimeoutMs, resolve, reject });
    this.armWaitTimer();
    this.reserveForWaiters();
  }

  /** Why a caller may not wait, if it may not. */
  private refusal(): unknown {
    if (this.closed) return LeafUnavailableError.shuttingDown(this.tag);
    const failure = this.lastFailure;
    if (failure && isPermanent(failure.error) && this.consecutiveFailures > 0 && Date.now() < this.retryAt) {
      return failure.error;
    }
    if (this.waiters.size >= this.ctx.options.maxWaiters) {
      return new LeafUnavailableError(
        this.tag,
        'overloaded',
        `No ID of "${this.tag}" is in memory and ${this.waiters.size} callers already wait for the next segment ` +
          `(maxWaiters). Retry shortly; if this persists, raise step or check the database.`,
        { cause: this.failure },
      );
    }
    return undefined;
  }

  /**
   * Reserves a segment unless one is already on its way; never rejects (a failure is recorded and retried).
   * Resolves when that reservation has settled.
   */
  reserve(trigger: ReservationTrigger): Promise<void> {
    if (this.inFlight === null && !this.closed) this.inFlight = this.reserveNow(trigger);
    return this.inFlight ?? Promise.resolve();
  }

  /**
   * Starts an on-demand reservation on the next turn of the event loop, so that every caller arriving in this
   * turn adds to the demand it is sized for: 10,000 concurrent callers on an empty buffer cost one query.
   */
  private reserveForWaiters(): void {
    if (this.inFlight !== null || this.demandScheduled || Date.now() < this.retryAt) return;
    this.demandScheduled = true;
    setImmediate(() => {
      this.demandScheduled = false;
      if (!this.closed && this.waiters.size > 0) void this.reserve('on-demand');
    });
  }

  /** Called by the scheduler: retries, rate-based prefetch, and the rate sample. */
  tick(now: number): void {
    const issuedTotal = this.idsIssued();
    const elapsed = now - this.sampleAt;
    const issued = issuedTotal - this.sampleIssued;
    if (this.sampleAt > 0 && elapsed > 0) this.ratePerMs = issued / elapsed;
    this.sampleIssued = issuedTotal;
    this.sampleAt = now;
    if (this.closed || this.inFlight !== null || now < this.retryAt) return;
    if (this.waiters.size > 0) {
      void this.reserve('on-demand');
      return;
    }
    const current = this.current;
    if (current === null || this.next !== null) return;
    if (this.offset > current.prefetchOffset) {
      // The threshold was passed but that reservation failed: try again.
      void this.reserve('prefetch');
      return;
    }
    // At this rate the segment would be gone before a few reservation latencies: start early.
    if (this.size - this.offset < this.ratePerMs * this.prefetchHorizonMs()) void this.reserve('prefetch');
  }

  /** How long before running dry a reservation must start: a few latencies, and the tick that notices. */
  private prefetchHorizonMs(): number {
    return 4 * Math.max(this.lastLatencyMs ?? 1, 1) + 2 * this.ctx.options.checkIntervalMs;
  }

  /** A new base step read from the table. */
  setBaseStep(step: number): void {
    const floor = Math.min(step, this.ctx.options.maxStep);
    // Without the dynamic step the row's step is the step; with it, a grown step shrinks on its own schedule.
    if (!this.ctx.options.dynamicStep || this.stepInUse < floor || this.stepInUse === this.baseStep) {
      this.stepInUse = floor;
    }
    this.baseStep = step;
  }

  /**
   * Refuses new waiters, fails the waiting ones and waits for the in-flight reservation. Resolves to the
   * unused IDs `[firstUnused, end)` at the top of what this node reserved, which it will never issue.
   */
  async close(): Promise<{ firstUnused: bigint; end: bigint } | undefined> {
    this.closed = true;
    this.clearWaitTimer();
    for (const waiter of this.waiters.drain()) waiter.reject(LeafUnavailableError.shuttingDown(this.tag));
    await this.inFlight;
    const { current, next } = this;
    const newest = next ?? current;
    if (newest === null) return undefined;
    // The current segment's tail joins the standby one only if no other node reserved in between.
    const firstUnused = next === null || current?.end === next.start ? this.base + BigInt(this.offset) : next.start;
    return firstUnused < newest.end ? { firstUnused, end: newest.end } : undefined;
  }

  snapshot(): LeafTagSnapshot {
    const { current, next } = this;
    const remaining = BigInt(this.size - this.offset);
    const nextSize = next ? BigInt(next.step) : 0n;
    const failure = this.lastFailure;
    return {
      tag: this.tag,
      configured: this.configured,
      current: current && { start: current.start, end: current.end },
      nextPosition: current && this.base + BigInt(this.offset),
      remaining,
      next: next && { start: next.start, end: next.end },
      nextReady: next !== null,
      available: remaining + nextSize,
      loading: this.inFlight !== null,
      step: current?.step ?? this.stepInUse,
      baseStep: this.baseStep,
      idsIssued: this.idsIssued(),
      reservations: this.reservations,
      reservationsByTrigger: { ...this.byTrigger },
      lastReservationLatencyMs: this.lastLatencyMs,
      lastReservationAt: this.lastReservationAt ? new Date(this.lastReservationAt) : null,
      lastReservationOk: this.consecutiveFailures === 0,
      consecutiveFailures: this.consecutiveFailures,
      errors: this.errors,
      lastError: failure && { message: errorMessage(failure.error), at: new Date(failure.at) },
      waits: this.waits,
      waiting: this.waiters.size,
    };
  }

  private async reserveNow(trigger: ReservationTrigger): Promise<void> {
    const step = this.stepForNextReservation();
    const started = performance.now();
    let range: ReservedRange;
    try {
      range = await withTimeout(
        this.ctx.store.reserve(this.tag, step),
        this.ctx.options.reservationTimeoutMs,
        `reserving a segment of "${this.tag}" took longer than reservationTimeoutMs (${this.ctx.options.reservationTimeoutMs} ms)`,
      );
    } catch (error) {
      this.inFlight = null;
      this.failed(error, trigger, step, performance.now() - started);
      return;
    }
    this.inFlight = null;
    this.reserved(range, trigger, step, performance.now() - started);
  }

  private stepForNextReservation(): number {
    const { dynamicStep, segmentDurationMs, maxStep } = this.ctx.options;
    if (dynamicStep && this.lastReservationAt > 0) {
      const now = Date.now();
      // The tick's sample lags a sudden burst; the current segment's own pace shows it at once.
      const sinceInstalled = now - this.installedAt;
      const segmentRate = sinceInstalled > 0 ? this.offset / sinceInstalled : 0;
      this.stepInUse = nextDynamicStep({
        current: this.stepInUse,
        base: Math.min(this.baseStep, maxStep),
        sinceLastReservationMs: now - this.lastReservationAt,
        segmentDurationMs,
        maxStep,
        ratePerMs: Math.max(this.ratePerMs, segmentRate),
        horizonMs: this.prefetchHorizonMs(),
      });
    }
    // A batch waiting for more than a segment holds gets one segment big enough, not a string of small ones.
    const demand = this.waiters.demand;
    return demand > this.stepInUse ? Math.min(demand, maxStep) : this.stepInUse;
  }

  private reserved(range: ReservedRange, trigger: ReservationTrigger, step: number, latencyMs: number): void {
    const now = Date.now();
    this.reservations++;
    this.byTrigger[trigger]++;
    this.lastLatencyMs = latencyMs;
    this.lastReservationAt = now;
    this.consecutiveFailures = 0;
    this.retryAt = 0;
    this.ctx.report({ tag: this.tag, trigger, step, latencyMs, ok: true, range });
    if (this.highestEnd === null || range.end > this.highestEnd) this.highestEnd = range.end;
    // Kept even when closing: the shutdown gives it back.
    const segment = createSegment(range.start, range.end, this.ctx.options.threshold, now);
    if (this.offset >= this.size) this.install(segment);
    else this.next = segment;
    this.serveWaiters();
    if (this.waiters.size > 0) void this.reserve('on-demand');
    else if (this.next === null && this.current !== null && this.offset > this.current.prefetchOffset) {
      void this.reserve('prefetch');
    }
  }

  private failed(error: unknown, trigger: ReservationTrigger, step: number, latencyMs: number): void {
    const now = Date.now();
    // The row went away under a tag this node served: the usual advice, a row at max_id 1, would repeat IDs.
    if (error instanceof UnknownBizTagError && this.highestEnd !== null) {
      error = new UnknownBizTagError(this.tag, undefined, this.highestEnd);
    }
    this.errors++;
    this.consecutiveFailures++;
    this.lastFailure = { error, at: now };
    const permanent = isPermanent(error);
    const { retryMinDelayMs, retryMaxDelayMs } = this.ctx.options;
    const backoff = Math.min(retryMaxDelayMs, retryMinDelayMs * 2 ** Math.min(this.consecutiveFailures - 1, 20));
    this.retryAt = now + (permanent ? retryMaxDelayMs : backoff);
    this.ctx.report({ tag: this.tag, trigger, step, latencyMs, ok: false, error });
    this.ctx.logger.warn(
      `Reserving a segment of "${this.tag}" failed (${trigger}, attempt ${this.consecutiveFailures}): ` +
        `${errorMessage(error)}${permanent ? '' : `; retrying in ${this.retryAt - now} ms`}`,
    );
    if (permanent) {
      this.clearWaitTimer();
      for (const waiter of this.waiters.drain()) waiter.reject(error);
    }
  }

  /** Makes the standby segment current; false when there is none. */
  private advance(): boolean {
    const next = this.next;
    if (next === null) return false;
    this.next = null;
    this.install(next);
    return true;
  }

  private install(segment: Segment): void {
    this.issuedBeforeCurrent += this.offset;
    this.installedAt = Date.now();
    this.current = segment;
    this.base = segment.start;
    this.offset = 0;
    this.size = segment.step;
    this.prefetchOffset = segment.prefetchOffset;
  }

  private idsIssued(): number {
    return this.issuedBeforeCurrent + this.offset;
  }

  /** Hands IDs to waiting callers in arrival order, for as long as memory lasts. */
  private serveWaiters(): void {
    this.serving = true;
    for (let waiter = this.waiters.peek(); waiter !== undefined; waiter = this.waiters.peek()) {
      if (waiter.ids === null) {
        const id = this.takeOne();
        if (id === undefined) break;
        this.waiters.shift();
        waiter.resolve(id as never);
      } else {
        waiter.remaining -= this.takeInto(waiter.ids, waiter.ids.length - waiter.remaining, waiter.remaining);
        if (waiter.remaining > 0) break;
        this.waiters.shift();
        waiter.resolve(waiter.ids as never);
      }
    }
    this.serving = false;
    if (this.waiters.size === 0) this.clearWaitTimer();
  }

  private armWaitTimer(): void {
    const head = this.waiters.peek();
    if (this.waitTimer !== null || head === undefined) return;
    this.waitTimer = setTimeout(() => this.expireWaiters(), Math.max(0, head.deadline - Date.now()));
    this.waitTimer.unref();
  }

  private expireWaiters(): void {
    this.waitTimer = null;
    const now = Date.now();
    for (let head = this.waiters.peek(); head !== undefined && head.deadline <= now; head = this.waiters.peek()) {
      this.waiters.shift();
      head.reject(this.timedOut());
    }
    this.armWaitTimer();
  }

  private clearWaitTimer(): void {
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.waitTimer = null;
  }

  private timedOut(): LeafUnavailableError {
    const cause = this.failure;
    return new LeafUnavailableError(
      this.tag,
      'timeout',
      `No ID of "${this.tag}" became available within waitTimeoutMs (${this.ctx.options.waitTimeoutMs} ms)` +
        (cause === undefined
          ? ': the reservation is slow. Raise step or threshold, or waitTimeoutMs.'
          : `: reserving a segment keeps failing (${errorMessage(cause)}). Check the database.`),
      { cause },
    );
  }

}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
