import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  PERIODS,
  type LeafHealthReason,
  type LeafHealthStatus,
  type LeafPeriod,
  type LeafTagSnapshot,
} from 'nest-leaf';

/** A segment `[start, end)`, bounds as decimal strings. */
export class SegmentView {
  @ApiProperty({ example: '1001' }) start!: string;
  @ApiProperty({ example: '2001' }) end!: string;
}

/** A tag's health, as the library judges it in its snapshot: what `/health/ready` answers for the tag. */
export class HealthView {
  @ApiProperty({ enum: ['up', 'degraded', 'down'], example: 'up' }) status!: LeafHealthStatus;
  @ApiProperty({
    example: 'serving from memory',
    description:
      'Why: serving from memory, not used this period yet, reserving its first segment, reservations failing, ' +
      'runway held (up), reservations failing, runway short (degraded), out of IDs (down)',
  })
  reason!: LeafHealthReason;
}

/** `LeafTagSnapshot` as JSON: bigints as decimal strings, dates as ISO strings. */
export class TagView {
  @ApiProperty() tag!: string;
  @ApiProperty({
    example: 'invoice:20261201',
    description: "The leaf_alloc row the segments are of: the tag, or for a period tag its current period's row",
  })
  row!: string;
  @ApiProperty({
    enum: [...PERIODS],
    example: 'day',
    description: 'How often the sequence restarts; the counters of a period tag add up every period served',
  })
  period!: LeafPeriod;
  @ApiProperty() configured!: boolean;
  @ApiPropertyOptional({ type: SegmentView, nullable: true }) current!: SegmentView | null;
  @ApiPropertyOptional({ type: String, nullable: true }) nextPosition!: string | null;
  @ApiProperty() remaining!: string;
  @ApiPropertyOptional({ type: SegmentView, nullable: true }) next!: SegmentView | null;
  @ApiProperty() nextReady!: boolean;
  @ApiProperty() available!: string;
  @ApiProperty() loading!: boolean;
  @ApiProperty() step!: number;
  @ApiProperty() baseStep!: number;
  @ApiProperty() idsIssued!: number;
  @ApiProperty() reservations!: number;
  @ApiProperty({ example: { startup: 1, prefetch: 3, 'on-demand': 0 } })
  reservationsByTrigger!: Record<'startup' | 'prefetch' | 'on-demand', number>;
  @ApiPropertyOptional({ type: Number, nullable: true }) lastReservationLatencyMs!: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastReservationAt!: string | null;
  @ApiProperty() lastReservationOk!: boolean;
  @ApiProperty() consecutiveFailures!: number;
  @ApiProperty() errors!: number;
  @ApiPropertyOptional({ nullable: true, example: { message: 'connect ECONNREFUSED', at: '2025-01-01T12:00:00.000Z' } })
  lastError!: { message: string; at: string } | null;
  @ApiProperty() waits!: number;
  @ApiProperty() waiting!: number;
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    example: 84_000,
    description:
      'How long the IDs in memory last at the peak rate, ms (the runway held now); null before a rate is known',
  })
  runwayMs!: number | null;
  @ApiProperty({ example: '1400', description: 'The IDs in memory that make the runway (as `available`)' })
  runwayIds!: string;
  @ApiProperty({ example: 60_000, description: 'The runway the tag keeps when reservations work (runwayMs option)' })
  runwayTargetMs!: number;
  @ApiProperty({ description: 'Calls that got an error rather than an ID (timed out or refused with memory empty)' })
  failedCalls!: number;
  @ApiProperty({ type: HealthView, description: 'The status the page shows and /health/ready answers' })
  health!: HealthView;

  static from(s: LeafTagSnapshot): TagView {
    return {
      tag: s.tag,
      row: s.row,
      period: s.period,
      configured: s.configured,
      current: segment(s.current),
      nextPosition: s.nextPosition?.toString() ?? null,
      remaining: s.remaining.toString(),
      next: segment(s.next),
      nextReady: s.nextReady,
      available: s.available.toString(),
      loading: s.loading,
      step: s.step,
      baseStep: s.baseStep,
      idsIssued: s.idsIssued,
      reservations: s.reservations,
      reservationsByTrigger: { ...s.reservationsByTrigger },
      lastReservationLatencyMs: s.lastReservationLatencyMs,
      lastReservationAt: s.lastReservationAt?.toISOString() ?? null,
      lastReservationOk: s.lastReservationOk,
      consecutiveFailures: s.consecutiveFailures,
      errors: s.errors,
      lastError: s.lastError && { message: s.lastError.message, at: s.lastError.at.toISOString() },
      waits: s.waits,
      waiting: s.waiting,
      runwayMs: s.runwayMs,
      runwayIds: s.runwayIds.toString(),
      runwayTargetMs: s.runwayTargetMs,
      failedCalls: s.failedCalls,
      health: { status: s.health.status, reason: s.health.reason },
    };
  }
}

/** What `GET /monitor/state` answers. */
export class MonitorState {
  @ApiProperty({ description: 'Server time of the snapshot, epoch milliseconds (for rates computed by the client)' })
  at!: number;
  @ApiProperty({ description: 'Whether the generator has started and is not shutting down' })
  running!: boolean;
  @ApiProperty({ description: 'Fraction of a segment left when the next one is reserved', example: 0.2 })
  threshold!: number;
  @ApiProperty({ description: 'The IANA time zone the periods of period tags start in', example: 'UTC' })
  timeZone!: string;
  @ApiProperty({ type: [TagView] })
  tags!: TagView[];
}

function segment(range: { start: bigint; end: bigint } | null): SegmentView | null {
  return range && { start: range.start.toString(), end: range.end.toString() };
}
