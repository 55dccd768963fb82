import { LeafUnavailableError } from '../errors/leaf-unavailable.error.js';
import type { BufferContext } from './buffer-context.js';
import { prefetchDue, prefetchHorizonMs } from './prefetch-policy.js';
import { SegmentPair, type UnusedTail } from './segment-pair.js';
import { createSegment } from './segment.js';
import { SegmentReserver } from './segment-reserver.js';
import type { LeafTagSnapshot, ReservationTrigger as Trigger } from './segment.types.js';
import { tagSnapshot } from './tag-snapshot.js';
import { TagStats } from './tag-stats.js';
import { WaiterQueue } from './waiter-queue.js';
import { isPermanent } from '../errors/permanent.js';
import { type ReservationOutcome, type TagTuning } from './reservation.types.js';

/**
 * The dual buffer of one biz tag: the segment pair IDs come from, the reserver that keeps it filled, and the queue
 * of callers who found it empty. It owns every reservation it asks for: at most one at a time, whose outcome it
 * installs in its own pair (or hands to its waiters, when retrying cannot cure it).
 *
 * Invariant: callers wait only while memory is empty, and a landing segment serves them synchronously, so a caller
 * that finds IDs in memory never overtakes one that waits.
 */
export class SegmentBuffer {
  /** The hot path: `IdGenerator.nextId` takes from it directly. */
  readonly pair: SegmentPair;
  private readonly waiters: WaiterQueue;
  private readonly stats = new TagStats();
  private readonly reserver: SegmentReserver;
  /** The reservation under way, installed when it settles; null when none is. */
  private inFlight: Promise<void> | null = null;
  closed = false;
  private demandScheduled = false;
  private serving = false;

  constructor(
    readonly tag: string,
    baseStep: number,
    readonly configured: boolean,
    private readonly ctx: BufferContext,
    private readonly tuning: TagTuning = ctx.options,
  ) {
    this.pair = new SegmentPair(() => this.onLow());
    this.waiters = new WaiterQueue(ctx.options.waitTimeoutMs, () => this.timedOut());
    this.reserver = new SegmentReserver(tag, baseStep, ctx, this.stats, tuning);
  }

  /** True once a segment has been reserved (IDs may still have run out since). */
  get hasSegment(): boolean {
    return this.pair.current !== null;
  }

  /** The cause of the newest failed reservation, while reservations fail. */
  get failure(): unknown {
    return this.reserver.failure;
  }

  /**
   * Reserves a segment unless one is on its way, and installs it: resolves when that reservation settled. Never
   * rejects (a failure is recorded and retried).
   */
  reserve(trigger: Trigger): Promise<void> {
    if (this.inFlight === null && !this.closed) {
      const need = {
        demand: this.waiters.demand,
        segmentRate: this.pair.segmentRate(performance.now()),
        available: this.pair.available,
      };
      this.inFlight = this.reserver.reserve(trigger, need).then((outcome) => this.settle(outcome));
    }
    return this.inFlight ?? Promise.resolve();
  }

  /**
   * Hands one ID to a caller: from memory now if it has one, otherwise once a reservation lands. `resolve` is the
   * caller's own, called the moment its ID is taken, so callers observe IDs in the order they were issued.
   */
  requestOne(resolve: (id: bigint) => void, reject: (error: unknown) => void): void {
    const id = this.pair.takeOne();
    if (id !== undefined) return resolve(id);
    if (this.mayWait(reject)) this.waiters.push({ remaining: 1, ids: null, resolve, reject });
  }

  /** Hands the `remaining` IDs still owed to a batch call, into the tail of `ids`; as `requestOne`. */
  requestMany(
    remaining: number,
    ids: bigint[],
    resolve: (ids: bigint[]) => void,
    reject: (error: unknown) => void,
  ): void {
    remaining -= this.pair.takeInto(ids, ids.length - remaining, remaining);
    if (remaining === 0) return resolve(ids);
    if (this.mayWait(reject)) this.waiters.push({ remaining, ids, resolve, reject });
  }

  /** Called by the scheduler: retries, rate-based prefetch, and the rate sample. */
  tick(now: number): void {
    this.stats.sample(this.pair.issued, now);
    if (!this.idle(now)) return;
    if (this.waiters.size > 0) {
      void this.reserve('on-demand');
      return;
    }
    const horizon = prefetchHorizonMs(this.stats.plannedLatencyMs, this.ctx.options.checkIntervalMs);
    if (prefetchDue(this.pair, this.stats.ratePerMs, horizon, this.reserver.runwayIds(now))) {
      void this.reserve('prefetch');
    }
  }

  /** Nobody waits and no reservation is under way: the tag can be closed without failing anyone. */
  get quiet(): boolean {
    return this.waiters.size === 0 && this.inFlight === null;
  }

  /** What a later reservation must not reach below (see `SegmentReserver`); null before the first one. */
  get floor(): bigint | null {
    return this.reserver.lowestAllowed;
  }

  /** How long no ID was issued, as of the last tick (monotonic ms). */
  idleFor(now: number): number {
    return now - this.stats.idleSince;
  }

  /** A new base step read from the table. */
  setBaseStep(step: number): void {
    this.reserver.setBaseStep(step);
  }

  /** The dynamic step now: what the next reservation uses, before any growth. */
  get stepInUse(): number {
    return this.reserver.stepInUse;
  }

  /** Before the first reservation: start from `step` (a period's successor starts from its predecessor's step). */
  inheritStep(step: number): void {
    this.reserver.inheritStep(step);
  }

  /** Reserves the first segment ahead of any call, retrying with the usual backoff until one lands. */
  warm(now: number): void {
    if (!this.hasSegment && this.waiters.size === 0 && this.idle(now)) void this.reserve('prefetch');
  }

  /** After the tail was given back: a later range from its first ID on is this node's own again. */
  gaveBack(firstUnused: bigint): void {
    this.reserver.gaveBack(firstUnused);
  }

  /**
   * Refuses new waiters, fails the waiting ones and waits for the in-flight reservation. Resolves to the unused
   * IDs at the top of what this node reserved, which it will never issue.
   */
  async close(): Promise<UnusedTail | undefined> {
    this.closed = true;
    this.waiters.rejectAll(LeafUnavailableError.shuttingDown(this.tag));
    await this.inFlight;
    const tail = this.pair.unusedTail();
    // A caller holding on to this buffer (a cache) must find it empty: its tail may go back to the table.
    this.pair.clear();
    return tail;
  }

  snapshot(): LeafTagSnapshot {
    const { tag, configured, pair, stats, reserver, inFlight, waiters } = this;
    return tagSnapshot({ tag, configured, pair, stats, reserver, loading: inFlight !== null, waiting: waiters.size });
  }

  /** The hot path issued the ID at the threshold: reserve the next segment in the background. */
  private onLow(): void {
    // While waiters are being served their demand is in flux; landed() decides once they are done.
    if (this.serving) return;
    if (this.pair.next === null && this.idle(performance.now())) void this.reserve('prefetch');
  }

  /** Whether a reservation may start now: none under way, not closing, and no retry pending. */
  private idle(now: number): boolean {
    return this.inFlight === null && !this.closed && this.reserver.mayTry(now);
  }

  /** Whether a caller that found memory empty may wait; if not, it is refused with `reject` now. */
  private mayWait(reject: (error: unknown) => void): boolean {
    const failure = this.reserver.failure;
    const refusal = this.closed
      ? LeafUnavailableError.shuttingDown(this.tag)
      : failure !== undefined && isPermanent(failure) && !this.reserver.mayTry(performance.now())
        ? failure
        : this.waiters.size >= this.ctx.options.maxWaiters
          ? LeafUnavailableError.overloaded(this.tag, this.waiters.size, failure)
          : undefined;
    if (refusal !== undefined) {
      this.stats.failedCalls++;
      reject(refusal);
      return false;
    }
    this.stats.waits++;
    this.reserveForWaiters();
    return true;
  }

  /**
   * Starts an on-demand reservation on the next turn of the event loop, so that every caller arriving in this
   * turn adds to the demand it is sized for: 10,000 concurrent callers on an empty buffer cost one query.
   */
  private reserveForWaiters(): void {
    if (this.demandScheduled || !this.idle(performance.now())) return;
    this.demandScheduled = true;
    setImmediate(() => {
      this.demandScheduled = false;
      if (!this.closed && this.waiters.size > 0) void this.reserve('on-demand');
    });
  }

  /**
   * A reservation settled: its segment joins the pair (kept even when closing: the shutdown gives it back), or a
   * failure retrying will not cure reaches the waiting callers at once.
   */
  private settle(outcome: ReservationOutcome): void {
    this.inFlight = null;
    if (outcome.range !== null) {
      const { start, end } = outcome.range;
      this.pair.add(createSegment(start, end, this.tuning.threshold));
      this.landed(outcome.afterOutage);
    } else if (outcome.permanent) {
      this.stats.failedCalls += this.waiters.size;
      this.waiters.rejectAll(outcome.error);
    }
  }

  /**
   * A segment landed. Serves the waiters in arrival order, then reserves again if they or the threshold need it.
   * After an outage the waiters are calls piled up over seconds: served at once they are no measure of the rate,
   * and counted as one they would size the next segments for a burst that never came.
   */
  private landed(afterOutage: boolean): void {
    this.serving = true;
    const { pair, waiters } = this;
    const issuedBefore = afterOutage ? pair.issued : 0;
    waiters.serveFrom(pair);
    this.serving = false;
    if (afterOutage) {
      this.stats.servedBacklog(pair.issued - issuedBefore);
      pair.restartPace(performance.now());
    }
    if (waiters.size > 0) void this.reserve('on-demand');
    else if (pair.next === null && pair.pastThreshold) void this.reserve('prefetch');
  }

  private timedOut(): LeafUnavailableError {
    this.stats.failedCalls++;
    return LeafUnavailableError.timedOut(this.tag, this.ctx.options.waitTimeoutMs, this.reserver.failure);
  }
}
