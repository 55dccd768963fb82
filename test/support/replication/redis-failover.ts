import { Redis } from 'ioredis';
import type { LeafStore } from 'nest-leaf';
import { RedisLeafStore, type RedisLeafStoreOptions } from 'nest-leaf/redis';
import { FaultProxy } from '../../../harness/fault-proxy.js';
import { FailoverFleet } from './failover-fleet.js';
import { PrivateRedisPair } from './redis-pair.js';

/**
 * A Redis master (AOF, fsync always) and its replica (`PrivateRedisPair`), with nodes in front of them the way an
 * app reaches a Redis that fails over: through one address (`front`, a `FaultProxy` standing for a virtual IP or
 * Sentinel-updated DNS name) that `failOver()` moves to the promoted replica; the nodes' ioredis clients reconnect
 * on their own (retry every 50 ms). The failover loses writes as a real one does: the link is cut (`cut()`) while
 * the nodes reserve, so the master's last reservations never reach the replica; then `failOver()` kills the master
 * (SIGKILL), promotes the replica (`REPLICAOF NO ONE`) and moves the address.
 */
export class RedisFailover extends FailoverFleet<RedisLeafStoreOptions> {
  private readonly clients: Redis[] = [];
  /** Ms from the kill to the promoted replica taking writes, and to the address moving to it. */
  readonly timings: { promotedMs?: number; movedMs?: number } = {};
  /** `max_id` per tag: on the replica once cut, on the master just before the kill. */
  readonly replicaMaxIds = new Map<string, bigint>();
  readonly primaryMaxIds = new Map<string, bigint>();

  private constructor(
    readonly pair: PrivateRedisPair,
    readonly front: FaultProxy,
    private readonly keyPrefix: string,
  ) {
    super();
  }

  static async start(keyPrefix = 'leaf_alloc:'): Promise<RedisFailover> {
    const pair = await PrivateRedisPair.start({ appendFsyncAlways: true });
    const front = await FaultProxy.start({ target: { host: pair.primary.host, port: pair.primary.port } });
    return new RedisFailover(pair, front, keyPrefix);
  }

  /** A `RedisLeafStore` on a client of its own, through the front proxy; its clients reconnect every 50 ms. */
  protected async storeFor(storeOptions: RedisLeafStoreOptions): Promise<LeafStore> {
    const client = new Redis({ host: this.front.host, port: this.front.port, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    this.clients.push(client);
    return new RedisLeafStore(client, { keyPrefix: this.keyPrefix, ...storeOptions });
  }

  /** Cuts the replication link; from now on the master's writes are the ones a failover loses. */
  async cut(tags: readonly string[]): Promise<void> {
    await this.pair.cutReplication();
    for (const tag of tags) this.replicaMaxIds.set(tag, await this.maxId('replica', tag));
  }

  /** Kills the master, promotes the replica, and moves the nodes' address to it. */
  async failOver(tags: readonly string[]): Promise<void> {
    for (const tag of tags) this.primaryMaxIds.set(tag, await this.maxId('primary', tag));
    const killing = performance.now();
    await this.pair.killPrimary();
    this.killedAt = killing;
    await this.pair.promote();
    this.timings.promotedMs = performance.now() - killing;
    this.front.retarget({ host: this.pair.replica.host, port: this.pair.replica.port });
    this.timings.movedMs = performance.now() - killing;
  }

  /** `max_id` of a tag's hash on one server (0n when it has none). */
  async maxId(role: 'primary' | 'replica', tag: string): Promise<bigint> {
    const value = await this.pair.command(role, 'HGET', this.keyPrefix + tag, 'max_id');
    return value === null ? 0n : BigInt(String(value));
  }

  async dispose(): Promise<void> {
    await this.stopAll();
    for (const client of this.clients.splice(0)) client.disconnect();
    await this.front.close();
    await this.pair.dispose();
  }
}

export { duplicatesOf, type FailoverNode, type NodeResult } from './failover-fleet.js';
