/** A reserved block of IDs `[start, end)` owned by this process. */
export interface Segment {
  readonly start: bigint;
  readonly end: bigint;
  /** Its size, `end - start`: at most maxStep, so a plain number. */
  readonly step: number;
  /** When this few IDs are left after a call, the next segment is reserved in the background. */
  readonly lowMark: number;
  /** When it was reserved (ms since the epoch). */
  readonly reservedAt: number;
}

export function createSegment(start: bigint, end: bigint, threshold: number, reservedAt: number): Segment {
  const step = Number(end - start);
  // ceil keeps at least one ID of warning for tiny segments, so the prefetch fires before the last ID.
  const lowMark = Math.min(step, Math.ceil(step * threshold)) - 1;
  return { start, end, step, lowMark, reservedAt };
}
