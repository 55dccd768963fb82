import { messageOf } from '../errors/error-message.js';
import { runwayHeldMs } from './runway.js';
import type { SegmentPair } from './segment-pair.js';
import type { SegmentReserver } from './segment-reserver.js';
import type { LeafTagSnapshot } from './segment.types.js';
import { withHealth } from './tag-health.js';
import type { TagStats } from './tag-stats.js';

/** The parts of one tag's buffer a snapshot reads. */
interface BufferParts {
  readonly tag: string;
  readonly configured: boolean;
  readonly pair: SegmentPair;
  readonly stats: TagStats;
  readonly reserver: SegmentReserver;
  /** Whether a reservation is under way. */
  readonly loading: boolean;
  readonly waiting: number;
}

/**
 * A read-only picture of one tag's buffer (`IdGenerator.inspect`): copies only, nothing that reaches back in, and the
 * health judged from them.
 */
export function tagSnapshot(parts: BufferParts): LeafTagSnapshot {
  const { tag, configured, pair, stats, reserver, loading, waiting } = parts;
  const { current, next } = pair;
  const failure = stats.lastFailure;
  return withHealth({
    tag,
    row: tag,
    period: 'none',
    configured,
    current: current && { start: current.start, end: current.end },
    nextPosition: pair.position,
    remaining: BigInt(pair.remaining),
    next: next && { start: next.start, end: next.end },
    nextReady: next !== null,
    available: BigInt(pair.available),
    loading,
    step: current?.step ?? reserver.stepInUse,
    baseStep: reserver.base,
    idsIssued: pair.issued,
    reservations: stats.reservations,
    reservationsByTrigger: { ...stats.byTrigger },
    lastReservationLatencyMs: stats.lastLatencyMs,
    lastReservationAt: stats.lastReservationWallAt ? new Date(stats.lastReservationWallAt) : null,
    lastReservationOk: reserver.retry.consecutiveFailures === 0,
    consecutiveFailures: reserver.retry.consecutiveFailures,
    errors: stats.errors,
    lastError: failure && { message: messageOf(failure.error), at: new Date(failure.at) },
    waits: stats.waits,
    waiting,
    runwayMs: runwayHeldMs(pair.available, stats.peak.perMs(performance.now())),
    runwayIds: BigInt(pair.available),
    runwayTargetMs: reserver.runwayMs,
    failedCalls: stats.failedCalls,
  });
}
