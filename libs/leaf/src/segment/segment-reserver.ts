import { messageOf } from '../errors/error-message.js';
import { IdOverflowError } from '../errors/id-overflow.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { describeStoreFailure, storeFailureKind } from '../errors/store-failure.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import { MAX_ID, type ReservedRange } from '../store/leaf-store.js';
import { withDeadline } from '../store/store-deadline.js';
import type { BufferContext } from './buffer-context.js';
import { Fencer } from './fencer.js';
import { prefetchHorizonMs } from './prefetch-policy.js';
import { runwayTargetIds } from './runway.js';
import { RetryPolicy } from './retry-policy.js';
import type { ReservationTrigger } from './segment.types.js';
import { nextDynamicStep } from './step-policy.js';
import type { TagStats } from './tag-stats.js';
import type { ReservationNeed, ReservationOutcome, TagTuning } from './reservation.types.js';
import { isPermanent } from '../errors/permanent.js';

/**
 * Reserves the segments of one tag for its buffer: sized by Leaf's dynamic step (and the demand of waiting callers),
 * bounded by the deadline, its failures recorded and retried with backoff, and checked before use: a range that
 * reaches below what this node already issued or holds is never handed over, whatever the table says. It answers
 * with the outcome; the buffer, which starts one reservation at a time, installs the segment.
 */
export class SegmentReserver {
  readonly retry: RetryPolicy;
  /** Dynamic step, before any enlargement for a large waiting batch. */
  private stepNow: number;
  /**
   * Everything this node issued or holds for the tag lies below it: the end of the highest range it reserved, or
   * the start of a tail it gave back (the one legitimate reuse). Null before the first reservation.
   */
  private floor: bigint | null = null;
  /** The room left below 2^63-1 when the step in use no longer fits: the last reservation is shrunk to it. */
  private cap: number | null = null;
  /** While reservations fail: since when, the failed-call count then, and the kind of failure last logged. */
  private outage: { readonly since: number; readonly failedCallsBefore: number; kind: string } | null = null;
  constructor(
    private readonly tag: string,
    private baseStep: number,
    private readonly ctx: BufferContext,
    private readonly stats: TagStats,
    /** The tag's `bizTags` entry's threshold and runway, else the module's. */
    private readonly tuning: TagTuning,
  ) {
    this.stepNow = Math.min(baseStep, ctx.options.maxStep);
    this.retry = new RetryPolicy(ctx.options.retryMinDelayMs, ctx.options.retryMaxDelayMs);
  }

  /** IDs the runway needs held ahead now, at the tag's peak rate. */
  runwayIds(now: number): number {
    // Without the dynamic step the row's step is the step (Leaf's contract): the runway cannot size it.
    if (!this.ctx.options.dynamicStep) return 0;
    return runwayTargetIds(this.stats.peak.perMs(now), this.tuning.runwayMs, this.ctx.options.maxStep);
  }

  /** The runway this tag keeps (its `runwayMs`). */
  get runwayMs(): number {
    return this.tuning.runwayMs;
  }

  get base(): number {
    return this.baseStep;
  }

  /** The cause of the newest failed reservation, while reservations fail. */
  get failure(): unknown {
    return this.retry.consecutiveFailures > 0 ? this.stats.lastFailure?.error : undefined;
  }

  /** The dynamic step now: what the next reservation uses, before any growth or enlargement for a batch. */
  get stepInUse(): number {
    return this.stepNow;
  }

  /** Whether the retry backoff lets a reservation start now. */
  mayTry(now: number): boolean {
    return this.retry.mayTry(now);
  }

  /**
   * Reserves one segment sized for `need`; never rejects: a failure is recorded, logged once per outage, and
   * answered as the outcome.
   */
  async reserve(trigger: ReservationTrigger, need: ReservationNeed): Promise<ReservationOutcome> {
    const step = this.nextStep(need);
    const started = performance.now();
    const { reservationTimeoutMs } = this.ctx.options;
    let range: ReservedRange;
    try {
      range = await Fencer.of(this.ctx.store, this.ctx.options, this.ctx.logger).reserving(() =>
        withDeadline(reservationTimeoutMs, `Reserving a segment of "${this.tag}"`, (signal) =>
          this.ctx.store.reserve(this.tag, step, signal),
        ),
      );
    } catch (error) {
      if (error instanceof IdOverflowError && this.shrinkToFit(error)) return this.reserve(trigger, need);
      return this.failed(error, trigger, step, performance.now() - started, need.available);
    }
    const latencyMs = performance.now() - started;
    if (this.floor !== null && range.start < this.floor) {
      // The row was reset below what this node issued (deleted and re-inserted, or max_id set back by hand).
      const movedBack = LeafStoreError.movedBack(this.tag, range, this.floor);
      return this.failed(movedBack, trigger, step, latencyMs, need.available);
    }
    return this.reserved(range, trigger, step, latencyMs);
  }

  /** Before the first reservation: start from `step` (a period's successor starts from its predecessor's step). */
  inheritStep(step: number): void {
    if (this.ctx.options.dynamicStep && this.floor === null) this.stepNow = Math.min(step, this.ctx.options.maxStep);
  }

  /** A new base step read from the table. */
  setBaseStep(step: number): void {
    const floor = Math.min(step, this.ctx.options.maxStep);
    // Without the dynamic step the row's step is the step; with it, a grown step shrinks on its own schedule.
    if (!this.ctx.options.dynamicStep || this.stepNow < floor || this.stepNow === this.baseStep) {
      this.stepNow = floor;
    }
    this.baseStep = step;
  }

  get lowestAllowed(): bigint | null {
    return this.floor;
  }

  /** After this node gave `[firstUnused, …)` back, a range from `firstUnused` on is its own again. */
  gaveBack(firstUnused: bigint): void {
    this.floor = firstUnused;
  }

  private nextStep(need: ReservationNeed): number {
    const { dynamicStep, segmentDurationMs, maxStep, checkIntervalMs } = this.ctx.options;
    // A retry keeps the step of the attempt that failed: an outage of many attempts must not double it each time.
    if (dynamicStep && this.stats.reservations > 0 && this.retry.consecutiveFailures === 0) {
      const now = performance.now();
      this.stepNow = nextDynamicStep({
        current: this.stepNow,
        base: Math.min(this.baseStep, maxStep),
        sinceLastReservationMs: now - this.stats.lastReservationAt,
        segmentDurationMs,
        maxStep,
        // The tick's sample lags a sudden burst; the current segment's own pace shows it at once.
        ratePerMs: Math.max(this.stats.ratePerMs, need.segmentRate),
        horizonMs: prefetchHorizonMs(this.stats.plannedLatencyMs, checkIntervalMs),
        runwayIds: this.runwayIds(now),
      });
    }
    // A batch waiting for more than a segment holds gets one segment big enough, not a string of small ones.
    const { demand } = need;
    const step = demand > this.stepNow ? Math.min(demand, maxStep) : this.stepNow;
    return this.cap === null ? step : Math.min(step, this.cap);
  }

  private reserved(
    range: ReservedRange,
    trigger: ReservationTrigger,
    step: number,
    latencyMs: number,
  ): ReservationOutcome {
    const now = performance.now();
    const afterOutage = this.outage !== null;
    if (afterOutage) this.recovered(now);
    this.stats.reserved(trigger, latencyMs, now, afterOutage);
    this.retry.succeeded();
    this.ctx.report({ tag: this.tag, row: this.tag, trigger, step, latencyMs, ok: true, range });
    if (this.floor === null || range.end > this.floor) this.floor = range.end;
    return { range, afterOutage };
  }

  private failed(
    error: unknown,
    trigger: ReservationTrigger,
    step: number,
    latencyMs: number,
    available: number,
  ): ReservationOutcome {
    // The row went away under a tag this node served: the usual advice, a row at max_id 1, would repeat IDs.
    if (error instanceof UnknownBizTagError && this.floor !== null) {
      error = UnknownBizTagError.deletedWhileServed(this.tag, this.floor);
    }
    const permanent = isPermanent(error);
    this.stats.failed(error);
    const delay = this.retry.failed(performance.now(), permanent);
    this.ctx.report({ tag: this.tag, row: this.tag, trigger, step, latencyMs, ok: false, error });
    // One line when reservations start failing (and when the cause changes kind), one when they succeed again:
    // not one per retry, which an outage of minutes would turn into thousands.
    const kind = storeFailureKind(error) ?? messageOf(error);
    if (this.outage === null || this.outage.kind !== kind) {
      this.outage ??= { since: performance.now(), failedCallsBefore: this.stats.failedCalls, kind };
      this.outage.kind = kind;
      this.ctx.logger.warn(
        `Reserving a segment of "${this.tag}" failed (${trigger}): ${describeStoreFailure(error)}. ` +
          (permanent
            ? 'Retrying will not cure it; callers get this error.'
            : `Retrying with backoff (up to ${this.ctx.options.retryMaxDelayMs} ms apart, next in ${delay} ms); ` +
              `${available} IDs left in memory. One line will say when it succeeds again.`),
      );
    }
    return { range: null, error, permanent };
  }

  /** The first success after failures: how long reservations failed, and what it cost callers. */
  private recovered(now: number): void {
    const { since, failedCallsBefore } = this.outage!;
    this.outage = null;
    this.ctx.logger.log(
      `Reserving segments of "${this.tag}" works again, after ${Math.round(now - since)} ms and ` +
        `${this.retry.consecutiveFailures} failed attempt(s); ${this.stats.failedCalls - failedCallsBefore} call(s) ` +
        'failed meanwhile.',
    );
  }

  /** The step overflowed but IDs are left below 2^63-1: the next reservation takes just those. */
  private shrinkToFit(error: IdOverflowError): boolean {
    const left = MAX_ID - error.maxId;
    if (left <= 0n || left >= BigInt(error.step)) return false;
    this.cap = Number(left);
    return true;
  }
}
