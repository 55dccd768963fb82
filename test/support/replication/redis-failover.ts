import { Redis } from 'ioredis';
import type { IdGenerator, LeafModuleOptions, ReservationEvent } from 'nest-leaf';
import { RedisLeafStore, type RedisLeafStoreOptions } from 'nest-leaf/redis';
import { FaultProxy } from '../../../harness/fault-proxy.js';
import { steadyLoad, type FailedCall, type SteadyLoad } from '../load.js';
import { Generators } from '../redis.js';
import { PrivateRedisPair } from './redis-pair.js';

/** One node: a generator on a `RedisLeafStore` of its own, reaching Redis through the front proxy. */
export interface FailoverNode {
  readonly name: string;
  readonly ids: IdGenerator;
  readonly reservations: { ok: number; failed: number; errors: Set<string> };
  /** The first range reserved after the failover, per row. */
  readonly firstAfter: Map<string, { start: bigint; end: bigint }>;
  /** Ms from the kill of the master to this node's first reservation on the promoted replica. */
  servedAfterMs?: number;
}

/** What one node's load came to, per tag. */
export interface NodeResult {
  readonly name: string;
  readonly ids: Map<string, bigint[]>;
  readonly failures: FailedCall[];
}

/**
 * A Redis master (AOF, fsync always) and its replica (`PrivateRedisPair`), with nodes in front of them the way an
 * app reaches a Redis that fails over: through one address (`front`, a `FaultProxy` standing for a virtual IP or
 * Sentinel-updated DNS name) that `failOver()` moves to the promoted replica; the nodes' ioredis clients reconnect
 * on their own (retry every 50 ms). The failover loses writes as a real one does: the link is cut (`cut()`) while
 * the nodes reserve, so the master's last reservations never reach the replica; then `failOver()` kills the master
 * (SIGKILL), promotes the replica (`REPLICAOF NO ONE`) and moves the address.
 */
export class RedisFailover {
  readonly nodes: FailoverNode[] = [];
  private readonly clients: Redis[] = [];
  private readonly generators = new Generators();
  private readonly loads: { node: string; tag: string; load: SteadyLoad }[] = [];
  private readonly stopped: { node: string; tag: string; ids: bigint[]; failures: FailedCall[] }[] = [];
  /** When the master was killed (performance.now()). */
  killedAt?: number;
  /** Ms from the kill to the promoted replica taking writes, and to the address moving to it. */
  readonly timings: { promotedMs?: number; movedMs?: number } = {};
  /** `max_id` per tag: on the replica once cut, on the master just before the kill. */
  readonly replicaMaxIds = new Map<string, bigint>();
  readonly primaryMaxIds = new Map<string, bigint>();

  private constructor(
    readonly pair: PrivateRedisPair,
    readonly front: FaultProxy,
    private readonly keyPrefix: string,
  ) {}

  static async start(keyPrefix = 'leaf_alloc:'): Promise<RedisFailover> {
    const pair = await PrivateRedisPair.start({ appendFsyncAlways: true });
    const front = await FaultProxy.start({ target: { host: pair.primary.host, port: pair.primary.port } });
    return new RedisFailover(pair, front, keyPrefix);
  }

  /** Starts a node and a steady load per `[tag, IDs per second]`. */
  async node(
    name: string,
    options: Omit<LeafModuleOptions, 'store'>,
    loads: readonly (readonly [tag: string, rate: number])[],
    storeOptions: RedisLeafStoreOptions = {},
  ): Promise<FailoverNode> {
    const client = new Redis({ host: this.front.host, port: this.front.port, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    this.clients.push(client);
    const store = new RedisLeafStore(client, { keyPrefix: this.keyPrefix, ...storeOptions });
    const ids = await this.generators.start(store, options);
    const node: FailoverNode = {
      name,
      ids,
      reservations: { ok: 0, failed: 0, errors: new Set() },
      firstAfter: new Map(),
    };
    ids.onReservation((event: ReservationEvent) => {
      if (event.ok) {
        node.reservations.ok++;
        if (this.killedAt !== undefined && !node.firstAfter.has(event.row)) {
          node.firstAfter.set(event.row, event.range!);
          node.servedAfterMs ??= performance.now() - this.killedAt;
        }
      } else {
        node.reservations.failed++;
        node.reservations.errors.add(
          `${(event.error as Error)?.name}: ${String((event.error as Error)?.message).slice(0, 70)}`,
        );
      }
    });
    for (const [tag, rate] of loads) {
      this.loads.push({ node: name, tag, load: steadyLoad(ids, tag, { rate, concurrency: Math.min(16, rate) }) });
    }
    this.nodes.push(node);
    return node;
  }

  /** `nextIds(tag, count)` on a node, the IDs kept for the check with its load's. */
  async batch(name: string, tag: string, count: number): Promise<bigint[]> {
    const node = this.nodes.find((n) => n.name === name)!;
    const ids = await node.ids.nextIds(tag, count);
    this.stopped.push({ node: name, tag, ids, failures: [] });
    return ids;
  }

  /** Stops the loads of one node (the IDs they got are kept for the check). */
  async stopNode(name: string): Promise<void> {
    for (const entry of this.loads.filter((l) => l.node === name)) {
      this.loads.splice(this.loads.indexOf(entry), 1);
      this.stopped.push({ node: name, tag: entry.tag, ...(await entry.load.stop()) });
    }
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

  /** Stops every load; what each node handed out, per tag, and its failed calls. */
  async results(): Promise<NodeResult[]> {
    for (const name of new Set(this.loads.map((l) => l.node))) await this.stopNode(name);
    return this.nodes.map(({ name }) => {
      const mine = this.stopped.filter((entry) => entry.node === name);
      const ids = new Map<string, bigint[]>();
      for (const entry of mine) ids.set(entry.tag, [...(ids.get(entry.tag) ?? []), ...entry.ids]);
      return { name, ids, failures: mine.flatMap((entry) => entry.failures) };
    });
  }

  async dispose(): Promise<void> {
    for (const { load } of this.loads.splice(0)) await load.stop().catch(() => undefined);
    await this.generators.closeAll().catch(() => undefined);
    for (const client of this.clients.splice(0)) client.disconnect();
    await this.front.close();
    await this.pair.dispose();
  }
}

/** IDs handed out more than once, per tag, over every node. */
export function duplicatesOf(results: readonly NodeResult[]): {
  total: number;
  duplicates: number;
  perTag: Record<string, number>;
} {
  const perTag: Record<string, number> = {};
  let total = 0;
  let duplicates = 0;
  const tags = new Set(results.flatMap((result) => [...result.ids.keys()]));
  for (const tag of tags) {
    const seen = new Set<bigint>();
    let count = 0;
    for (const result of results) {
      for (const id of result.ids.get(tag) ?? []) {
        total++;
        if (seen.size === seen.add(id).size) count++;
      }
    }
    perTag[tag] = count;
    duplicates += count;
  }
  return { total, duplicates, perTag };
}
