import { PREFETCH_STARTED, type Segment } from './segment.js';

/** The unused IDs `[firstUnused, end)` at the top of what a tag reserved: what a shutdown can give back. */
export interface UnusedTail {
  readonly firstUnused: bigint;
  readonly end: bigint;
}

/**
 * The current segment IDs are served from and the standby one: the whole hot path of a tag.
 *
 * The position is a number offset from a bigint base, so taking an ID stores no new bigint into this long-lived
 * object (a write barrier) and its checks compare small integers. `IdGenerator.nextId` takes through `takeOne`
 * and nothing else touches these fields.
 */
export class SegmentPair {
  /** First ID of the current segment. */
  private base = 0n;
  /** Offset from `base` of the next ID to hand out. */
  private offset = 0;
  /** Size of the current segment: `offset === size` means it is used up. */
  private size = 0;
  /** Issuing the ID at this offset calls `onLow`; PREFETCH_STARTED once that is done. */
  private prefetchOffset = PREFETCH_STARTED;
  private issuedBefore = 0;
  current: Segment | null = null;
  next: Segment | null = null;
  /** Since when, on the monotonic clock, and from which offset the current segment's pace is measured. */
  private paceSince = 0;
  private paceFrom = 0;

  /** @param onLow called (once per segment) when the IDs left fall to the threshold: time to reserve the next. */
  constructor(private readonly onLow: () => void) {}

  /** One ID from memory, switching to the standby segment when the current one is used up; undefined if empty. */
  takeOne(): bigint | undefined {
    let offset = this.offset;
    if (offset >= this.size) {
      if (!this.advance()) return undefined;
      offset = 0;
    }
    this.offset = offset + 1;
    if (offset >= this.prefetchOffset) this.low();
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
      if (this.offset > this.prefetchOffset) this.low();
    }
    return filled;
  }

  /** A landed segment: served at once when memory is empty, kept as the standby otherwise. */
  add(segment: Segment): void {
    if (this.offset >= this.size) this.install(segment);
    else this.next = segment;
  }

  /** Whether the threshold of the current segment was passed (its prefetch is due or was started). */
  get pastThreshold(): boolean {
    return this.current !== null && this.offset > this.current.prefetchOffset;
  }

  /** IDs left in the current segment. */
  get remaining(): number {
    return this.size - this.offset;
  }

  /** IDs left in memory, both segments. */
  get available(): number {
    return this.size - this.offset + (this.next?.step ?? 0);
  }

  /** The ID the next call gets, or null before the first segment. */
  get position(): bigint | null {
    return this.current && this.base + BigInt(this.offset);
  }

  /** IDs issued from this pair since it was made. */
  get issued(): number {
    return this.issuedBefore + this.offset;
  }

  /** IDs issued per ms from the current segment so far: shows a burst before the scheduler's sample does. */
  segmentRate(now: number): number {
    const elapsed = now - this.paceSince;
    return elapsed > 0 ? (this.offset - this.paceFrom) / elapsed : 0;
  }

  /** Measures the current segment's pace from now on, leaving out what it has issued so far. */
  restartPace(now: number): void {
    this.paceSince = now;
    this.paceFrom = this.offset;
  }

  /**
   * The unused IDs at the top of what this pair holds. The current segment's tail joins the standby one only if
   * no other node reserved in between (they touch); otherwise only the standby is a tail.
   */
  unusedTail(): UnusedTail | undefined {
    const { current, next } = this;
    const newest = next ?? current;
    if (newest === null) return undefined;
    const firstUnused = next === null || current?.end === next.start ? this.base + BigInt(this.offset) : next.start;
    return firstUnused < newest.end ? { firstUnused, end: newest.end } : undefined;
  }

  /** Forgets both segments: nothing more is taken from this pair. */
  clear(): void {
    this.issuedBefore += this.offset;
    this.current = this.next = null;
    this.base = 0n;
    this.offset = this.size = 0;
    this.prefetchOffset = PREFETCH_STARTED;
  }

  private low(): void {
    this.prefetchOffset = PREFETCH_STARTED;
    this.onLow();
  }

  private advance(): boolean {
    const next = this.next;
    if (next === null) return false;
    this.next = null;
    this.install(next);
    return true;
  }

  private install(segment: Segment): void {
    this.issuedBefore += this.offset;
    this.paceSince = performance.now();
    this.paceFrom = 0;
    this.current = segment;
    this.base = segment.start;
    this.offset = 0;
    this.size = segment.step;
    this.prefetchOffset = segment.prefetchOffset;
  }
}
