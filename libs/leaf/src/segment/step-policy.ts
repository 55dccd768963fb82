/** What the step of the next reservation depends on. */
export interface StepPolicyInput {
  /** The step of the last reservation (the step in use). */
  readonly current: number;
  /** The row's own step: never go below it. */
  readonly base: number;
  /** ms since the previous reservation: how long a segment lasted under the current load. */
  readonly sinceLastReservationMs: number;
  readonly segmentDurationMs: number;
  readonly maxStep: number;
}

/**
 * Leaf's dynamic step: a segment that lasted less than the target duration means the load outgrew the step,
 * so double it; one that lasted over twice the target means the step is oversized, so halve it.
 */
export function nextDynamicStep(input: StepPolicyInput): number {
  const { current, base, sinceLastReservationMs, segmentDurationMs, maxStep } = input;
  if (sinceLastReservationMs < segmentDurationMs) return Math.min(current * 2, maxStep);
  if (sinceLastReservationMs > 2 * segmentDurationMs) return Math.max(Math.floor(current / 2), base);
  return current;
}
