import type { LeafHealthStatus, LeafTagSnapshot, ReservationTrigger } from '../segment/segment.types.js';

/*
 * What `LeafMetrics` exposes: the names, help texts and readers of its per-tag figures, and their label sets. How
 * they are registered and collected is `leaf.metrics.ts`.
 */

export const TRIGGERS: readonly ReservationTrigger[] = ['startup', 'prefetch', 'on-demand'];
export const STATUSES: readonly LeafHealthStatus[] = ['up', 'degraded', 'down'];

type Read = (snapshot: LeafTagSnapshot) => number;

/** Cumulative per-tag figures of the snapshots, exposed as counters. */
export const COUNTERS: readonly (readonly [name: string, help: string, read: Read])[] = [
  ['leaf_ids_issued_total', 'IDs handed out, per biz tag.', (s) => s.idsIssued],
  ['leaf_reservation_errors_total', 'Failed segment reservations, per biz tag.', (s) => s.errors],
  [
    'leaf_waits_total',
    'Calls that found no ID in memory and had to wait for a reservation, per biz tag.',
    (s) => s.waits,
  ],
  [
    'leaf_failed_calls_total',
    'Calls that got an error instead of an ID (timed out or refused while memory was empty), per biz tag.',
    (s) => s.failedCalls,
  ],
];

/** Current per-tag figures of the snapshots, exposed as gauges. */
export const GAUGES: readonly (readonly [name: string, help: string, read: Read])[] = [
  [
    'leaf_step',
    "Size of the segment IDs are served from, per biz tag (Leaf's dynamic step grows it under load).",
    (s) => s.step,
  ],
  // A count of IDs, at most two segments (2 x maxStep): exact as a double.
  ['leaf_ids_remaining', 'IDs left in memory (current and next segment), per biz tag.', (s) => Number(s.available)],
  ['leaf_next_segment_ready', '1 when the next segment is reserved, per biz tag.', (s) => (s.nextReady ? 1 : 0)],
  ['leaf_waiting_callers', 'Calls waiting for a reservation right now, per biz tag.', (s) => s.waiting],
  [
    'leaf_runway_seconds',
    'How long the IDs in memory last at the peak rate, per biz tag (+Inf before a rate is known); alert when it ' +
      'falls below the runwayMs target while reservations fail.',
    (s) => (s.runwayMs === null ? Infinity : s.runwayMs / 1000),
  ],
];

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
