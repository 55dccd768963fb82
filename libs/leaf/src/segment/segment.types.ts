import type { ReservedRange } from '../store/leaf-store.js';
import { type LeafPeriod } from '../leaf.defaults.js';

/** Why a reservation was made: at boot, ahead of need, or because a caller is waiting for it. */
export type ReservationTrigger = 'startup' | 'prefetch' | 'on-demand';

/** One reservation attempt, as reported to `IdGenerator.onReservation` listeners. */
export interface ReservationEvent {
  readonly tag: string;
  /** The `leaf_alloc` row reserved from: the tag, or a period tag's row of the period (`invoice:20261201`). */
  readonly row: string;
  readonly trigger: ReservationTrigger;
  readonly step: number;
  readonly latencyMs: number;
  readonly ok: boolean;
  /** The reserved range `[start, end)`, when `ok`. */
  readonly range?: ReservedRange;
  readonly error?: unknown;
}

/** How a tag is doing: `up` serves, `degraded` serves but may soon stop, `down` does not serve. */
export type LeafHealthStatus = 'up' | 'degraded' | 'down';

/**
 * Why a tag has its status, in words fit for a status page (`order: out of IDs`). Stable: one of these phrases.
 * - `serving from memory` (up): IDs in memory, the newest reservation succeeded;
 * - `not used this period yet` (up): a period tag whose current period's row holds nothing and nobody waits: its
 *   first call reserves;
 * - `reserving its first segment` (up): a tag that never held a segment (found on first use, or a period tag's new
 *   row), its first reservation under way and none failed;
 * - `reservations failing, runway held` (up): reserving fails, but the IDs in memory still last the tag's whole
 *   runway (`runwayMs`) at its peak rate, so an outage shorter than the runway costs nothing;
 * - `reservations failing, runway short` (degraded): reserving fails and what is left lasts less than the runway (or
 *   no rate is known yet to say how long);
 * - `out of IDs` (down): nothing in memory; calls wait for a reservation, and fail if none lands in time.
 */
export type LeafHealthReason =
  | 'serving from memory'
  | 'not used this period yet'
  | 'reserving its first segment'
  | 'reservations failing, runway held'
  | 'reservations failing, runway short'
  | 'out of IDs';

/** A tag's health, judged in one place (the snapshot) for `/health`, the metrics and any status page. */
export interface LeafTagHealthState {
  readonly status: LeafHealthStatus;
  readonly reason: LeafHealthReason;
}

/** A read-only picture of one tag, for health checks, metrics and the monitor page. */
export interface LeafTagSnapshot {
  readonly tag: string;
  /**
   * The `leaf_alloc` row the figures below are of: the tag itself, or for a period tag its current period's row
   * (`invoice:20261201`); the counters of a period tag add up every period it served.
   */
  readonly row: string;
  /** How often the tag's sequence restarts; `'none'` for a plain tag. */
  readonly period: LeafPeriod;
  /** Listed in `bizTags` (as opposed to found in the table on first use). */
  readonly configured: boolean;
  /** The segment IDs are served from, `[start, end)`. */
  readonly current: { readonly start: bigint; readonly end: bigint } | null;
  /** The ID the next call gets from the current segment. */
  readonly nextPosition: bigint | null;
  /** IDs left in the current segment. */
  readonly remaining: bigint;
  /** The standby segment, when reserved. */
  readonly next: { readonly start: bigint; readonly end: bigint } | null;
  readonly nextReady: boolean;
  /** IDs left in memory, current and next segments together. */
  readonly available: bigint;
  /** A reservation is under way. */
  readonly loading: boolean;
  /** The step in use: the size of the current segment (before the first reservation, the step it will use). */
  readonly step: number;
  /** The row's step: the floor of the dynamic step. */
  readonly baseStep: number;
  readonly idsIssued: number;
  readonly reservations: number;
  readonly reservationsByTrigger: Readonly<Record<ReservationTrigger, number>>;
  readonly lastReservationLatencyMs: number | null;
  readonly lastReservationAt: Date | null;
  /** Whether the newest reservation attempt succeeded (true before the first attempt). */
  readonly lastReservationOk: boolean;
  /** Failed reservation attempts since the last success. */
  readonly consecutiveFailures: number;
  readonly errors: number;
  readonly lastError: { readonly message: string; readonly at: Date } | null;
  /** Calls that found memory empty and waited for a reservation. */
  readonly waits: number;
  /** Calls waiting right now. */
  readonly waiting: number;
  /**
   * How long the IDs in memory last at the tag's peak rate (the runway held now), ms; null before a rate is known.
   */
  readonly runwayMs: number | null;
  /** The IDs in memory, the runway held in IDs (the same as `available`). */
  readonly runwayIds: bigint;
  /** The runway this tag keeps: its `runwayMs` option. */
  readonly runwayTargetMs: number;
  /** Calls that got an error rather than an ID (timed out or refused while memory was empty). */
  readonly failedCalls: number;
  /**
   * The tag's health, from the figures above: `LeafHealthIndicator` (`nest-leaf/health`) answers it, `LeafMetrics`
   * (`nest-leaf/prometheus`) exports it as `leaf_tag_health`, so a health check, a dashboard and a status page never
   * disagree. A failing tag that still holds its whole runway is `up`: an outage shorter than the runway costs nothing.
   * For a period tag, the health of its current period's row.
   */
  readonly health: LeafTagHealthState;
}

/** A snapshot's figures before its health is judged from them. */
export type LeafTagFigures = Omit<LeafTagSnapshot, 'health'>;
