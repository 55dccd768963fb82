import type { LeafHealthStatus, ReservationTrigger } from '../segment/segment.types.js';
import {
  STATUSES,
  TAG_COUNTERS,
  TAG_GAUGES,
  TRIGGERS,
  type TagCounter,
  type TagFigure,
  type TagGauge,
} from '../metric-figures.js';

/*
 * What `LeafMetrics` exposes: the Prometheus names of the library's figures (`metric-figures.ts` says what they
 * mean and how they are read), and their label sets. How they are registered and collected is `leaf.metrics.ts`.
 */

const COUNTER_NAMES: Record<TagCounter, string> = {
  idsIssued: 'leaf_ids_issued_total',
  reservationErrors: 'leaf_reservation_errors_total',
  waits: 'leaf_waits_total',
  failedCalls: 'leaf_failed_calls_total',
};

const GAUGE_NAMES: Record<TagGauge, string> = {
  step: 'leaf_step',
  idsRemaining: 'leaf_ids_remaining',
  nextSegmentReady: 'leaf_next_segment_ready',
  waitingCallers: 'leaf_waiting_callers',
  runwaySeconds: 'leaf_runway_seconds',
};

function named<K extends string>(figures: Record<K, TagFigure>, names: Record<K, string>) {
  return (Object.keys(names) as K[]).map((key) => [names[key], figures[key].description, figures[key].read] as const);
}

/** Cumulative per-tag figures of the snapshots, exposed as counters. */
export const COUNTERS = named(TAG_COUNTERS, COUNTER_NAMES);
/** Current per-tag figures of the snapshots, exposed as gauges. */
export const GAUGES = named(TAG_GAUGES, GAUGE_NAMES);

export const RUNNING = 'leaf_generator_running';
export const RESERVATIONS = 'leaf_reservations_total';
export const HEALTH = 'leaf_tag_health';
export const DURATION = 'leaf_reservation_duration_seconds';
export const METRIC_NAMES = [
  RUNNING,
  ...COUNTERS.map(([name]) => name),
  RESERVATIONS,
  ...GAUGES.map(([name]) => name),
  HEALTH,
  DURATION,
];

/** Label sets of one tag, made once: prom-client keeps a reference, so a scrape need not allocate new ones. */
export interface TagLabels {
  readonly tag: { tag: string };
  readonly byTrigger: readonly { tag: string; trigger: ReservationTrigger }[];
  readonly byStatus: readonly { tag: string; status: LeafHealthStatus }[];
}

/** The label sets of `tag`, for `LeafMetrics` to keep. */
export function tagLabels(tag: string): TagLabels {
  return {
    tag: { tag },
    byTrigger: TRIGGERS.map((trigger) => ({ tag, trigger })),
    byStatus: STATUSES.map((status) => ({ tag, status })),
  };
}
