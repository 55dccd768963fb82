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
  /** IDs issued per ms lately. */
  readonly ratePerMs: number;
  /** How long before running dry a reservation must start to be in time (a few reservation latencies). */
  readonly horizonMs: number;
  /** IDs the runway needs held ahead: a segment covers it alone. */
  readonly runwayIds: number;
}

/**
 * Leaf's dynamic step: a segment that lasted less than the target duration means the load outgrew the step,
 * so double it; one that lasted over twice the target means the step is oversized, so halve it.
 */
export function nextDynamicStep(input: StepPolicyInput): number {
  const { current, base, sinceLastReservationMs, segmentDurationMs, maxStep, ratePerMs, horizonMs, runwayIds } = input;
  let step = current;
  if (sinceLastReservationMs < segmentDurationMs) step = current * 2;
  else if (sinceLastReservationMs > 2 * segmentDurationMs) step = Math.max(Math.floor(current / 2), base);
  // Doubling adds one factor of two per reservation, too slow for a load that jumps a hundredfold against a
  // far database: a segment must also outlast two prefetch horizons at the current rate.
  const forRate = Math.ceil(ratePerMs * horizonMs * 2);
  return Math.min(Math.max(step, forRate, runwayIds), maxStep);
}
