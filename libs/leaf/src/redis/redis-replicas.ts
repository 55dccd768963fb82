/**
 * What `RedisLeafStore` waits for after each reservation, before it serves the range: a number of replicas to have
 * received it (`WAIT n timeout`), or `'connected'`: every replica the master counts as healthy (online, and
 * acknowledged within the last second), or 0: none.
 */
export type RedisReplicas = number | 'connected';

/**
 * A reservation Redis made but too few replicas acknowledged within the bound: its range is not served (a gap,
 * never handed out), and the generator retries the reservation with backoff, serving from memory meanwhile. Not a
 * `LeafError`: callers never see it, only the reservation's failure (`ReservationEvent`, the tag's health).
 */
export class RedisReplicaAckError extends Error {
  /**
   * @param key the tag's hash
   * @param acknowledged replicas that acknowledged the reservation in time (`WAIT`'s reply)
   * @param required replicas it had to reach
   * @param timeoutMs the bound
   */
  constructor(
    readonly key: string,
    readonly acknowledged: number,
    readonly required: number,
    readonly timeoutMs: number,
    readonly range: { readonly start: bigint; readonly end: bigint },
  ) {
    super(
      `Redis reserved [${range.start}, ${range.end}) of ${key}, but only ${acknowledged} of the ${required} ` +
        `replica(s) required acknowledged it within ${timeoutMs} ms, so it is not served (a gap, never a repeat) and ` +
        'the reservation is retried. Check the replicas (INFO replication on the master: state, lag), or lower ' +
        "RedisLeafStore's replicas option (0 turns the wait off; failover fencing still keeps IDs unique).",
    );
    this.name = 'RedisReplicaAckError';
  }
}

/**
 * The wait of one store. With a number, each reservation is sent with `WAIT n timeout` behind it in one pipeline
 * (one round trip; `WAIT` answers once the replicas acknowledge the write). With `'connected'` the reservation's
 * script counts the healthy replicas, and the next reservation of that tag waits for that many; when it counts more
 * than was waited for (the first reservation of a tag, a replica that came back), a second `WAIT` follows on the
 * same connection. A replica that goes down drops out of the count when its connection closes, or within about
 * 2 s of its last acknowledgement: the reservations in between fail and are retried, and are not an ID outage.
 */
export class ReplicaAcks {
  /** `'connected'`: the healthy replicas the newest reservation of each tag's master counted. */
  private readonly seen = new Map<string, number>();

  constructor(
    /** The `replicas` option. */
    readonly replicas: RedisReplicas,
    /** The bound of each `WAIT`, in ms. */
    readonly timeoutMs: number,
  ) {}

  /** The script must count the healthy replicas. */
  get counting(): boolean {
    return this.replicas === 'connected';
  }

  /** Replicas to `WAIT` for in the reservation's own pipeline; 0 for no `WAIT`. */
  before(key: string): number {
    return this.replicas === 'connected' ? (this.seen.get(key) ?? 0) : this.replicas;
  }

  /** Replicas the reservation must reach, now that its script counted `healthy`. */
  required(key: string, healthy: number): number {
    if (this.replicas !== 'connected') return this.replicas;
    this.seen.set(key, healthy);
    return healthy;
  }
}
