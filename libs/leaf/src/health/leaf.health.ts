import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult, type HealthIndicatorStatus } from '@nestjs/terminus';
import { IdGenerator } from '../id-generator.js';
import type { LeafHealthReason, LeafTagSnapshot } from '../segment/segment.types.js';

/** The health of one biz tag, as shown in the body of a health check. */
export interface LeafTagHealth {
  /** The snapshot's own `health.status`: the monitor page and `leaf_tag_health` say the same. */
  readonly status: HealthIndicatorStatus;
  /** Why, in words (`LeafHealthReason`): `serving from memory`, `reservations failing, runway held`, `out of IDs`… */
  readonly reason: LeafHealthReason;
  readonly configured: boolean;
  /** IDs in memory (current and next segment), as a decimal string. */
  readonly available: string;
  readonly nextReady: boolean;
  readonly lastReservationOk: boolean;
  readonly consecutiveFailures: number;
  /** The error of the newest reservation attempt while reservations fail; null once one succeeds. */
  readonly lastError: string | null;
  /** How long the IDs in memory last at the tag's peak rate, ms (null before a rate is known). */
  readonly runwayMs: number | null;
  /** The runway the tag keeps when reservations work (`runwayMs` option). */
  readonly runwayTargetMs: number;
}

/** The details of the `leaf` indicator: the generator state and one entry per tag. */
export interface LeafHealthDetails extends Record<string, unknown> {
  readonly running: boolean;
  readonly message?: string;
  readonly tags: Record<string, LeafTagHealth>;
}

/**
 * A `@nestjs/terminus` health indicator for `IdGenerator`. Each tag's status is its snapshot's `health`, judged in
 * one place for every reader (see `LeafHealthReason`); the indicator is the worst of the configured tags':
 *
 * - **up**: every configured tag has IDs in memory and its newest reservation succeeded, or it fails but still
 *   holds its whole runway: an outage shorter than the runway costs nothing;
 * - **degraded** (HTTP 200): a tag still serves from memory but reserving its next segment fails, and what it
 *   holds has fallen below its runway (the details say how long is left: `runwayMs`);
 * - **down** (HTTP 503): a configured tag has no ID left, or the generator is not running. A period tag in a new
 *   period holds nothing until its first call, and a tag reserving its first segment nothing yet: both are up.
 *
 * `LeafModule` does not import `TerminusModule`, so provide it in the module that holds the health controller:
 *
 * ```ts
 * @Module({ imports: [TerminusModule], providers: [LeafHealthIndicator], controllers: [HealthController] })
 * ```
 */
@Injectable()
export class LeafHealthIndicator {
  constructor(
    @Inject(IdGenerator) private readonly ids: IdGenerator,
    @Inject(HealthIndicatorService) private readonly his: HealthIndicatorService,
  ) {}

  /** The health of every tag under `key`; tags discovered on first use are listed but do not decide the status. */
  isHealthy<const Key extends string = 'leaf'>(key: Key = 'leaf' as Key): HealthIndicatorResult<Key> {
    const check = this.his.check(key);
    const snapshots = this.ids.inspect();
    const tags: Record<string, LeafTagHealth> = {};
    for (const snapshot of snapshots) tags[snapshot.tag] = tagHealth(snapshot);

    if (!this.ids.isRunning) {
      return check.down({
        running: false,
        message: 'IdGenerator is not running: it is starting, failed to start, or shutting down.',
        tags,
      } satisfies LeafHealthDetails);
    }
    const decisive = snapshots.filter((snapshot) => snapshot.configured).map((snapshot) => tags[snapshot.tag]);
    const details: LeafHealthDetails = { running: true, tags };
    if (decisive.some((tag) => tag.status === 'down')) return check.down(details);
    if (decisive.some((tag) => tag.status === 'degraded')) return check.degraded(details);
    return check.up(details);
  }
}

function tagHealth(snapshot: LeafTagSnapshot): LeafTagHealth {
  return {
    status: snapshot.health.status,
    reason: snapshot.health.reason,
    configured: snapshot.configured,
    available: snapshot.available.toString(),
    nextReady: snapshot.nextReady,
    lastReservationOk: snapshot.lastReservationOk,
    consecutiveFailures: snapshot.consecutiveFailures,
    // An error from before the newest successful reservation is history, not a reason for the status.
    lastError: snapshot.lastReservationOk ? null : (snapshot.lastError?.message ?? null),
    runwayMs: snapshot.runwayMs,
    runwayTargetMs: snapshot.runwayTargetMs,
  };
}
