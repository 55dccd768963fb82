import type { ResolvedBizTag } from '../leaf.defaults.js';
import type { BufferContext } from '../segment/buffer-context.js';
import { giveBack } from '../segment/give-back.js';
import { SegmentBuffer } from '../segment/segment-buffer.js';
import { withHealth } from '../segment/tag-health.js';
import type { LeafTagSnapshot, ReservationEvent } from '../segment/segment.types.js';
import { periodKey, type Calendar } from '../calendar.js';
import type { CodeFormat, CodeRendering } from '../codes/code-format.js';
import { periodRowName } from './period-names.js';
import { PeriodRowStore } from './period-row.store.js';
import { type LeafPeriod } from '../leaf.defaults.js';

/**
 * How long before a period ends its successor's first segment is reserved, when the tag had traffic in the period
 * ending: time for a row insert and a reservation with a few retries, so the first call of the new period does not
 * wait for the database.
 */
export const ROLLOVER_LEAD_MS = 60_000;

type Period = Exclude<LeafPeriod, 'none'>;

/** One period's row and the buffer that serves it. */
interface PeriodBuffer {
  readonly key: string;
  readonly buffer: SegmentBuffer;
}

/**
 * A tag whose sequence restarts every period: one `leaf_alloc` row per period (`invoice:20261201`), one dual buffer
 * per row. The buffer in use follows the wall clock (`clock`), read on every call; the next period's first segment
 * is reserved shortly before it begins; a past period's buffer is closed once nobody waits on it, its tail given
 * back. Uniqueness never rests on the clock: each period has its own row.
 */
export class PeriodicTag {
  /** The period the clock is in, as far as this tag knows: never goes back, even if the clock does. */
  current!: PeriodBuffer;
  /** The format of codes issued now: changes with the day. */
  rendering!: CodeRendering;
  private next: PeriodBuffer | null = null;
  private readonly retired = new Set<SegmentBuffer>();
  private readonly closing = new Set<Promise<void>>();
  /** Wall-clock ms from which the day must be read again. */
  private dayEnd = -Infinity;
  private dayKey = '';
  private periodEnd = 0;
  private readonly period: Period;
  /** Totals of closed periods, so a tag's counters never go back at a rollover. */
  private readonly past = { idsIssued: 0, reservations: 0, errors: 0, waits: 0, failedCalls: 0 };

  constructor(
    readonly spec: ResolvedBizTag,
    private readonly ctx: BufferContext,
    private readonly calendar: Calendar,
    private readonly format: CodeFormat,
  ) {
    this.period = spec.period as Period;
    this.advance(calendar.clock());
  }

  /** The buffer of the period the clock is in: the hot path of a period tag, one clock read and a compare. */
  buffer(): SegmentBuffer {
    const now = this.calendar.clock();
    if (now >= this.dayEnd) this.advance(now);
    return this.current.buffer;
  }

  /** The next code: of the period the clock is in, written with that period's date even if the caller waits. */
  nextCode(): Promise<string> {
    const buffer = this.buffer();
    const rendering = this.rendering;
    const id = buffer.pair.takeOne();
    if (id !== undefined) return Promise.resolve(rendering.code(id));
    return new Promise((resolve, reject) => {
      buffer.requestOne((seq) => resolve(rendering.code(seq)), reject);
    });
  }

  /** `count` codes of the period the clock is in (the count is checked by the caller). */
  async nextCodes(count: number): Promise<string[]> {
    const buffer = this.buffer();
    const rendering = this.rendering;
    const ids = await new Promise<bigint[]>((resolve, reject) =>
      buffer.requestMany(count, new Array<bigint>(count), resolve, reject),
    );
    return ids.map((id) => rendering.code(id));
  }

  /** The scheduler's look: the day, the buffers' own ticks, the successor's segment, and closing past periods. */
  tick(now: number): void {
    const wall = this.calendar.clock();
    if (wall >= this.dayEnd) this.advance(wall);
    this.current.buffer.tick(now);
    if (this.next !== null) {
      this.next.buffer.tick(now);
      this.next.buffer.warm(now);
    } else if (wall >= this.periodEnd - ROLLOVER_LEAD_MS && this.current.buffer.pair.issued > 0) {
      // Only a tag used in this period prepares the next one: a quiet tag sleeps through periods for free.
      this.next = this.open(periodKey(this.calendar.dayAt(this.periodEnd).key, this.period));
      this.next.buffer.warm(now);
    }
    for (const buffer of this.retired) {
      buffer.tick(now);
      if (buffer.quiet) this.closeRetired(buffer);
    }
  }

  /** A new base step read from the table, for the row it names. */
  setBaseStep(row: string, step: number): void {
    for (const held of [this.current, this.next]) if (held?.buffer.tag === row) held.buffer.setBaseStep(step);
  }

  /** Closes every buffer; the tails of the current and next periods go back when `giveBack` says so. */
  async close(giveBackTails: boolean): Promise<void> {
    const open = [this.current.buffer, this.next?.buffer, ...this.retired];
    this.retired.clear();
    await Promise.all([
      ...this.closing,
      ...open.map(async (buffer) => {
        if (buffer === undefined) return;
        const tail = await buffer.close();
        if (tail !== undefined && giveBackTails) await giveBack(this.ctx, buffer.tag, tail);
      }),
    ]);
  }

  /**
   * One line per tag: the current period's row, with counters summed over every period served, and its health
   * judged again now that the period is known (a period tag asleep in a new period is up).
   */
  snapshot(): LeafTagSnapshot {
    const now = this.current.buffer.snapshot();
    const live = [this.next?.buffer, ...this.retired].map((buffer) => buffer?.snapshot());
    const sum = (key: keyof typeof this.past) =>
      this.past[key] + now[key] + live.reduce((total, s) => total + (s?.[key] ?? 0), 0);
    return withHealth({
      ...now,
      tag: this.spec.tag,
      period: this.period,
      idsIssued: sum('idsIssued'),
      reservations: sum('reservations'),
      errors: sum('errors'),
      waits: sum('waits'),
      failedCalls: sum('failedCalls'),
    });
  }

  /** The clock reached a later day: new codes, and a new period when the day starts one. */
  private advance(now: number): void {
    const day = this.calendar.dayAt(now);
    this.dayEnd = day.end;
    // A zone whose clocks go back across midnight shows yesterday again for a while: stay in today.
    if (day.key <= this.dayKey) return;
    this.dayKey = day.key;
    this.rendering = this.format.render(day);
    const key = periodKey(day.key, this.period);
    if (this.current?.key === key) return;
    const previous = this.current as PeriodBuffer | undefined;
    const prepared = this.next?.key === key ? this.next : null;
    if (this.next !== null && prepared === null) this.retire(this.next.buffer);
    this.next = null;
    this.current = prepared ?? this.open(key, previous?.buffer.stepInUse);
    this.periodEnd = this.calendar.periodEnd(now, this.period);
    if (previous !== undefined) this.retire(previous.buffer);
  }

  /** A buffer for the row of `key`; `step`, the step the last period ended with, so a busy tag starts big. */
  private open(key: string, step = this.current?.buffer.stepInUse): PeriodBuffer {
    const ctx = {
      ...this.ctx,
      store: new PeriodRowStore(this.ctx.store, this.spec),
      // Listeners (metrics) see one tag, whatever the period: the row is in `row`.
      report: (event: ReservationEvent) => this.ctx.report({ ...event, tag: this.spec.tag }),
    };
    const buffer = new SegmentBuffer(periodRowName(this.spec.tag, key), this.spec.step, true, ctx, this.spec);
    if (step !== undefined) buffer.inheritStep(step);
    return { key, buffer };
  }

  private retire(buffer: SegmentBuffer): void {
    if (buffer.quiet) this.closeRetired(buffer);
    else this.retired.add(buffer);
  }

  /** A past period nobody waits on: its tail goes back, so its row's `max_id` - 1 is what it issued. */
  private closeRetired(buffer: SegmentBuffer): void {
    this.retired.delete(buffer);
    // Quiet: nothing in flight, nobody waiting, so its counters are final.
    const { idsIssued, reservations, errors, waits, failedCalls } = buffer.snapshot();
    this.past.idsIssued += idsIssued;
    this.past.reservations += reservations;
    this.past.errors += errors;
    this.past.waits += waits;
    this.past.failedCalls += failedCalls;
    const done = (async () => {
      const tail = await buffer.close();
      if (tail !== undefined) await giveBack(this.ctx, buffer.tag, tail);
    })().finally(() => this.closing.delete(done));
    this.closing.add(done);
  }
}
