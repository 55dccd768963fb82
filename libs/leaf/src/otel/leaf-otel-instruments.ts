import { ValueType } from '@opentelemetry/api';
import type { TagCounter, TagGauge } from '../metric-figures.js';

/*
 * What `LeafOtelMetrics` records: the OpenTelemetry names, units and kinds of the library's figures
 * (`metric-figures.ts` says what they mean and how they are read), after the semantic conventions' naming rules:
 * dotted lowercase names under the `leaf` namespace, namespaces singular, a counter of things plural only under
 * a `{thing}` unit, no `total`; UCUM units (`s`, `1`, `{id}`); attributes namespaced too (`leaf.biz_tag`).
 */

/** How an instrument is created: its name, unit, value type, and whether it is a gauge or an additive count. */
export interface InstrumentSpec {
  readonly name: string;
  readonly unit: string;
  readonly valueType: ValueType;
}

/** A current figure: a gauge, or an up-down counter when its sum over every tag means something (IDs, callers). */
export interface CurrentSpec extends InstrumentSpec {
  readonly additive: boolean;
}

/** The tag a figure is of; every figure carries it. */
export const ATTR_BIZ_TAG = 'leaf.biz_tag';
/** Why a reservation was made: `startup`, `prefetch`, `on-demand` (the values `ReservationEvent.trigger` takes). */
export const ATTR_TRIGGER = 'leaf.reservation.trigger';
/** A tag's health status: `up`, `degraded`, `down`. */
export const ATTR_HEALTH_STATUS = 'leaf.health.status';
/** The semantic conventions' attribute of a failed operation: the class name of the error, on failures only. */
export const ATTR_ERROR_TYPE = 'error.type';

const INT = ValueType.INT;
const DOUBLE = ValueType.DOUBLE;

/** Cumulative per-tag figures: observable counters, read from the snapshots at each collection. */
export const COUNTERS: Record<TagCounter, InstrumentSpec> = {
  idsIssued: { name: 'leaf.id.issued', unit: '{id}', valueType: INT },
  reservationErrors: { name: 'leaf.reservation.errors', unit: '{error}', valueType: INT },
  waits: { name: 'leaf.call.waited', unit: '{call}', valueType: INT },
  failedCalls: { name: 'leaf.call.failed', unit: '{call}', valueType: INT },
};

/** Current per-tag figures: observable gauges and up-down counters, read from the snapshots at each collection. */
export const CURRENT: Record<TagGauge, CurrentSpec> = {
  step: { name: 'leaf.segment.step', unit: '{id}', valueType: INT, additive: false },
  idsRemaining: { name: 'leaf.id.available', unit: '{id}', valueType: INT, additive: true },
  nextSegmentReady: { name: 'leaf.segment.next_ready', unit: '1', valueType: INT, additive: false },
  waitingCallers: { name: 'leaf.call.waiting', unit: '{call}', valueType: INT, additive: true },
  runwaySeconds: { name: 'leaf.id.runway', unit: 's', valueType: DOUBLE, additive: false },
};

/** 1 while the generator serves: an observable gauge without attributes. */
export const RUNNING: InstrumentSpec = { name: 'leaf.generator.running', unit: '1', valueType: INT };
/** Successful reservations per tag and trigger: an observable counter. */
export const RESERVED: InstrumentSpec = { name: 'leaf.segment.reserved', unit: '{segment}', valueType: INT };
/** 1 for the tag's health status, 0 for the others: an observable gauge per tag and status. */
export const HEALTH: InstrumentSpec = { name: 'leaf.tag.health', unit: '1', valueType: INT };
/** Every reservation attempt, recorded as it ends: a histogram per tag and trigger, failures with `error.type`. */
export const DURATION: InstrumentSpec = { name: 'leaf.reservation.duration', unit: 's', valueType: DOUBLE };

/** Every instrument's name, in the order they are created. */
export const INSTRUMENT_NAMES: readonly string[] = [
  RUNNING,
  ...Object.values(COUNTERS),
  RESERVED,
  ...Object.values(CURRENT),
  HEALTH,
  DURATION,
].map((spec) => spec.name);

/**
 * The `error.type` of a failed reservation: the error's class name (`LeafUnavailableError`, `QueryFailedError`),
 * a low-cardinality value as the conventions ask; `_OTHER` for a thrown value that is no Error.
 */
export function errorType(error: unknown): string {
  return error instanceof Error && error.name !== '' ? error.name : '_OTHER';
}
