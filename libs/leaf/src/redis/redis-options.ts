import type { RedisReplicas } from './redis-replicas.js';

/** Options of `RedisLeafStore`. */
export interface RedisLeafStoreOptions {
  /**
   * Put before each tag to form its key: the hash of `order` is `<keyPrefix>order`. Default `leaf_alloc:`.
   * An ioredis client created with its own `keyPrefix` option gets that one in front of this one.
   */
  keyPrefix?: string;
  /**
   * Failover fencing, default true: each hash names the replication ID of the master it was fenced for; after a
   * promotion (which gives the new master a new one), reservations refuse with `FenceRequiredError` until
   * `fence()` has moved every hash ahead by its `failoverSkip`, which the generator does on its own. A restart of
   * the master changes its replication ID too, so each restart costs one skip per tag (never uniqueness). False
   * turns the check and `fence` off (a failover can then repeat the IDs of the reservations it lost).
   */
  fencing?: boolean;
  /**
   * Replicas each reservation must reach before its range is served (`WAIT n replicaTimeoutMs` after the script):
   * a number, or `'connected'` (default): the replicas the master counts as online and acknowledged within the last
   * second. A range they did not acknowledge in time is not served (a gap; the reservation is retried, callers are
   * served from memory). With `'connected'` a replica that is down no longer counts once its master notices (at
   * once when the connection drops, within about 2 s when it stops answering), so a replica outage is not an ID
   * outage; a number makes it one, for as long as fewer replicas are up. 0 turns the wait off. `WAIT` is no
   * consensus: see docs/stores.md.
   */
  replicas?: RedisReplicas;
  /** The bound of each `WAIT`, in ms; default 1000. Keep it below the generator's `reservationTimeoutMs`. */
  replicaTimeoutMs?: number;
}

/** The options with their defaults, checked. */
export interface ResolvedRedisOptions {
  readonly keyPrefix: string;
  readonly fencing: boolean;
  readonly replicas: RedisReplicas;
  readonly replicaTimeoutMs: number;
}

/**
 * The options with their defaults.
 * @throws RangeError for a `replicas` or `replicaTimeoutMs` it cannot use
 */
export function resolveRedisOptions(options: RedisLeafStoreOptions): ResolvedRedisOptions {
  return {
    keyPrefix: options.keyPrefix ?? 'leaf_alloc:',
    fencing: options.fencing ?? true,
    replicas: checkReplicas(options.replicas),
    replicaTimeoutMs: checkTimeout(options.replicaTimeoutMs),
  };
}

function checkReplicas(replicas: RedisReplicas | undefined): RedisReplicas {
  if (replicas === undefined || replicas === 'connected') return 'connected';
  if (Number.isInteger(replicas) && replicas >= 0) return replicas;
  throw new RangeError(
    `RedisLeafStore: replicas must be 'connected' or an integer >= 0 (0: no WAIT), got ${String(replicas)}.`,
  );
}

function checkTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return 1000;
  if (Number.isInteger(timeoutMs) && timeoutMs >= 1) return timeoutMs;
  throw new RangeError(`RedisLeafStore: replicaTimeoutMs must be an integer >= 1 (ms), got ${String(timeoutMs)}.`);
}
