import type { LeafHealthStatus, LeafTagSnapshot, ReservationTrigger } from './segment/segment.types.js';

/*
 * The figures every metrics integration exports (`nest-leaf/prometheus`, `nest-leaf/otel`): what each one means and
 * how it is read from a tag's snapshot. Each integration names them in its own convention, in a record keyed by the
 * keys below, so a figure added here does not compile until every integration has named it.
 */

export const TRIGGERS: readonly ReservationTrigger[] = ['startup', 'prefetch', 'on-demand'];
export const STATUSES: readonly LeafHealthStatus[] = ['up', 'degraded', 'down'];

/** A per-tag figure: its description (an engine's help text) and how a snapshot gives its value. */
export interface TagFigure {
  readonly description: string;
  readonly read: (snapshot: LeafTagSnapshot) => number;
}

/** Cumulative per-tag figures of the snapshots: counters. */
export const TAG_COUNTERS = {
  idsIssued: { description: 'IDs handed out, per biz tag.', read: (s) => s.idsIssued },
  reservationErrors: { description: 'Failed segment reservations, per biz tag.', read: (s) => s.errors },
  waits: {
    description: 'Calls that found no ID in memory and had to wait for a reservation, per biz tag.',
    read: (s) => s.waits,
  },
  failedCalls: {
    description: 'Calls that got an error instead of an ID (timed out or refused while memory was empty), per biz tag.',
    read: (s) => s.failedCalls,
  },
} as const satisfies Record<string, TagFigure>;

/** Current per-tag figures of the snapshots: gauges. */
export const TAG_GAUGES = {
  step: {
    description: "Size of the segment IDs are served from, per biz tag (Leaf's dynamic step grows it under load).",
    read: (s) => s.step,
  },
  // A count of IDs, at most two segments (2 x maxStep): exact as a double.
  idsRemaining: {
    description: 'IDs left in memory (current and next segment), per biz tag.',
    read: (s) => Number(s.available),
  },
  nextSegmentReady: {
    description: '1 when the next segment is reserved, per biz tag.',
    read: (s) => (s.nextReady ? 1 : 0),
  },
  waitingCallers: { description: 'Calls waiting for a reservation right now, per biz tag.', read: (s) => s.waiting },
  runwaySeconds: {
    description:
      'How long the IDs in memory last at the peak rate, per biz tag (+Inf before a rate is known); alert when it ' +
      'falls below the runwayMs target while reservations fail.',
    read: (s) => (s.runwayMs === null ? Infinity : s.runwayMs / 1000),
  },
} as const satisfies Record<string, TagFigure>;

export type TagCounter = keyof typeof TAG_COUNTERS;
export type TagGauge = keyof typeof TAG_GAUGES;

/** The descriptions of the figures that are not one number per tag. */
export const DESCRIPTIONS = {
  running: '1 while the ID generator serves IDs, 0 while it starts or shuts down.',
  reservations: 'Successful segment reservations, per biz tag and trigger (startup, prefetch, on-demand).',
  health:
    "1 for the tag's health status (up, degraded, down), 0 for the others, per biz tag: the status /health " +
    'answers, judged in the snapshot (a failing tag that still holds its runway is up).',
  reservationDuration:
    'Duration of segment reservations (one database round trip), per biz tag and trigger, failed ones apart.',
} as const;

/**
 * Default boundaries of the reservation latency histogram, in seconds: 0.5 ms to 5 s (the default
 * `reservationTimeoutMs`), which spans a local database up to one too slow to use.
 */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/**
 * `buckets` when it is a non-empty list of increasing positive numbers of seconds. Checked here because both
 * prom-client and the OpenTelemetry SDK accept other lists and count wrong.
 *
 * @throws RangeError naming `owner` (the class whose option it is)
 */
export function checkLatencyBuckets(owner: string, buckets: unknown): number[] {
  const ok =
    Array.isArray(buckets) &&
    buckets.length > 0 &&
    buckets.every((b, i) => typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > buckets[i - 1]));
  if (ok) return [...(buckets as number[])];
  throw new RangeError(
    `${owner}: latencyBuckets must be a non-empty array of increasing positive numbers of seconds, got ${String(buckets)}`,
  );
}
