import type { ReservedRange } from '../store/leaf-store.js';

/** What a tag is tuned with: its `bizTags` entry's values, else the module's. */
export interface TagTuning {
  /** The fraction of a segment left when the next is reserved. */
  readonly threshold: number;
  /** How long memory must last at the peak rate (0: no runway beyond the dual buffer). */
  readonly runwayMs: number;
}

/** What the buffer knows at the moment it asks for a segment, which sizes it. */
export interface ReservationNeed {
  /** IDs owed to waiting callers: a reservation for them is sized to cover it. */
  readonly demand: number;
  /** How fast the current segment is being used, IDs per ms (its own pace shows a burst before the tick does). */
  readonly segmentRate: number;
  /** IDs left in memory, for the log line of an outage. */
  readonly available: number;
}

/**
 * How a reservation ended: the range it reserved (`afterOutage` when it is the first after failed attempts), or
 * the failure it recorded (`permanent` when retrying will not cure it). The buffer installs the one and hands the
 * other to its waiting callers.
 */
export type ReservationOutcome =
  | { readonly range: ReservedRange; readonly afterOutage: boolean }
  | { readonly range: null; readonly error: unknown; readonly permanent: boolean };
