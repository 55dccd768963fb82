import { PeakRate } from './runway.js';
import type { ReservationTrigger } from './segment.types.js';

/**
 * What happened to one tag: reservations by trigger, their latency, errors, waits, and the rate IDs go out at.
 * Durations are measured on the monotonic clock; the wall-clock times kept here are only for display.
 */
export class TagStats {
  reservations = 0;
  readonly byTrigger: Record<ReservationTrigger, number> = { startup: 0, prefetch: 0, 'on-demand': 0 };
  errors = 0;
  waits = 0;
  lastLatencyMs: number | null = null;
  /**
   * The latency prefetching plans for: the last one, unless that reservation ended an outage. One that waited out a
   * row lock or a failover is no measure of the next, and would size segments for a horizon of seconds.
   */
  plannedLatencyMs: number | null = null;
  /** Monotonic ms of the last successful reservation (meaningful once `reservations > 0`). */
  lastReservationAt = 0;
  /** Wall-clock ms of the same, for display. */
  lastReservationWallAt = 0;
  lastFailure: { readonly error: unknown; readonly at: number } | null = null;
  /** IDs per ms over the last scheduler tick. */
  ratePerMs = 0;
  /** Monotonic ms since which no ID was issued, as sampled per tick. */
  idleSince = 0;
  /** The rate the runway is sized for. */
  readonly peak = new PeakRate();
  /** Calls that got an error instead of an ID (timed out, refused): what an outage cost. */
  failedCalls = 0;
  private sampleIssued = 0;
  private sampleAt: number | null = null;
  /** IDs served at once to calls an outage kept waiting: demand that piled up, left out of the rates. */
  private backlog = 0;

  reserved(trigger: ReservationTrigger, latencyMs: number, now: number, afterOutage: boolean): void {
    this.reservations++;
    this.byTrigger[trigger]++;
    this.lastLatencyMs = latencyMs;
    if (!afterOutage || this.plannedLatencyMs === null) this.plannedLatencyMs = latencyMs;
    this.lastReservationAt = now;
    this.lastReservationWallAt = Date.now();
  }

  failed(error: unknown): void {
    this.errors++;
    this.lastFailure = { error, at: Date.now() };
  }

  servedBacklog(ids: number): void {
    this.backlog += ids;
  }

  /** Samples the rate at a scheduler tick, from the total IDs issued so far. */
  sample(total: number, now: number): void {
    const issued = total - this.backlog;
    if (this.sampleAt === null) this.idleSince = now;
    else if (now > this.sampleAt) this.ratePerMs = (issued - this.sampleIssued) / (now - this.sampleAt);
    if (issued !== this.sampleIssued) this.idleSince = now;
    this.sampleIssued = issued;
    this.sampleAt = now;
    this.peak.sample(issued, now);
  }
}
