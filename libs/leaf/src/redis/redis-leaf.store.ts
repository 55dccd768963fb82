import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import type {
  FenceOutcome,
  FenceSkips,
  LeafAllocRow,
  LeafStore,
  NewLeafAllocRow,
  NewTagRow,
  ReservedRange,
} from '../store/leaf-store.js';
import { readDurability, type RedisDurability } from './redis-durability.js';
import { RedisCalls } from './redis-calls.js';
import { fenceMasters } from './redis-fence.js';
import { RedisKeys } from './redis-keys.js';
import { addressOf, badStep, fencingOff, markerName, notAHash, reserveRefusal } from './redis-messages.js';
import { resolveRedisOptions, type RedisLeafStoreOptions } from './redis-options.js';
import { RedisReplicaAckError, ReplicaAcks } from './redis-replicas.js';
import { RedisScripts } from './redis-script-runner.js';

export type { RedisLeafStoreOptions } from './redis-options.js';

/** Hashes read (or created) at once, so 100,000 tags do not queue 100,000 commands at once. */
const BATCH = 500;
/**
 * `leaf_alloc` on Redis or Redis Cluster through an ioredis client: one hash per tag at `<keyPrefix><tag>`, with
 * the fields `max_id`, `step`, `description`, `update_time` (ms since the epoch) and `fenced_by`, the same
 * `[M, M + step)` contract as the table. A hash written by hand (`HSET leaf_alloc:order max_id 1000 step 100`) is
 * served from 1000.
 *
 * Every reservation is one script on one key: one round trip (with the `WAIT` pipelined behind it), atomic, exact
 * up to 2^63-1. Tags are listed with `SCAN` on every master, never with `KEYS`.
 *
 * Durability decides uniqueness: IDs handed out since the last write Redis kept on disk are handed out again after
 * a crash. On first use the store reads `appendonly`/`appendfsync`/`save` of every master and logs what a crash
 * would cost, and which failover protection is on (see `checkDurability()`); run Redis with `appendonly yes` and
 * `appendfsync always`. A failover to a replica that missed the last reservations is fenced (`fencing`), and each
 * reservation waits for the replicas (`replicas`): see the options and docs/stores.md.
 *
 * Cancelling: an aborted `AbortSignal` rejects the call at once, but a command already sent cannot be taken back.
 * A reservation that lands after its caller gave up is a gap, never a duplicate: the generator never uses it.
 *
 * The store listens to the client's `error` events (`RedisCalls`), so that ioredis does not print every failed
 * reconnection as an unhandled error; while the client is down, calls fail at once, naming the address and why.
 * A `WAIT` holds the client's connection until the replicas answer or its bound passes: give the store a client of
 * its own.
 */
export class RedisLeafStore implements LeafStore {
  /** `redis` or `redis-cluster`. */
  readonly engine: string;
  /** `Redis at <host>:<port> (keys <prefix>*)`, or the cluster's: what messages name. */
  readonly location: string;
  /** The prefix of every tag's key (the store's own; a client's `keyPrefix` comes in front of it). */
  readonly keyPrefix: string;
  /** Whether failover fencing is on (the `fencing` option). */
  readonly fencing: boolean;
  private readonly logger = new Logger('Leaf');
  private readonly scripts: RedisScripts;
  private durability?: Promise<RedisDurability>;
  /** Tags whose hash listTags left out, warned about once. */
  private readonly skipped = new Set<string>();
  private readonly calls: RedisCalls;
  private readonly keys: RedisKeys;
  private readonly acks: ReplicaAcks;

  /**
   * @param client an ioredis `Redis` or `Cluster`, owned by the caller (the store never connects or quits it)
   * @param options `keyPrefix` (default `leaf_alloc:`), `fencing` (default true), `replicas` (default
   *   `'connected'`) and `replicaTimeoutMs` (default 1000)
   * @throws RangeError for a `replicas` or `replicaTimeoutMs` it cannot use
   */
  constructor(
    private readonly client: Redis | Cluster,
    options: RedisLeafStoreOptions = {},
  ) {
    const resolved = resolveRedisOptions(options);
    this.keyPrefix = resolved.keyPrefix;
    this.fencing = resolved.fencing;
    this.acks = new ReplicaAcks(resolved.replicas, resolved.replicaTimeoutMs);
    this.engine = client.isCluster ? 'redis-cluster' : 'redis';
    this.location = `${addressOf(client)} (keys ${String(client.options.keyPrefix ?? '')}${this.keyPrefix}*)`;
    this.calls = new RedisCalls(client, this.location);
    this.keys = new RedisKeys(client, this.keyPrefix);
    this.scripts = new RedisScripts(client, this.fencing);
  }

  /** Every hash under the prefix (`SCAN` on each master); one it cannot serve is left out with a warning. */
  async listTags(signal?: AbortSignal): Promise<LeafAllocRow[]> {
    return this.run(signal, `under ${this.keyPrefix}`, async () => {
      const rows: LeafAllocRow[] = [];
      const tags = new Set<string>(); // a key being moved between slots may show up on two masters
      for (const node of await this.keys.masters()) for (const tag of await this.keys.scan(node, signal)) tags.add(tag);
      const all = [...tags];
      for (let i = 0; i < all.length; i += BATCH) {
        signal?.throwIfAborted();
        const chunk = all.slice(i, i + BATCH);
        const found = await Promise.all(chunk.map((tag) => this.readRow(tag).catch((error) => this.skip(tag, error))));
        for (const row of found) if (row !== undefined) rows.push(row);
      }
      return rows;
    });
  }

  /** The hash of exactly `bizTag` (keys compare byte for byte); `LeafStoreError` with the fix for a bad one. */
  async findTag(bizTag: string, signal?: AbortSignal): Promise<LeafAllocRow | undefined> {
    return this.run(signal, this.keyOf(bizTag), () => this.readRow(bizTag));
  }

  async createTags(tags: readonly NewTagRow[], signal?: AbortSignal): Promise<void> {
    // One script per tag: in a cluster each key has a slot of its own.
    for (const { tag } of tags) this.keyOf(tag);
    await this.run(signal, `under ${this.keyPrefix}`, async () => {
      for (let i = 0; i < tags.length; i += BATCH) {
        signal?.throwIfAborted();
        const chunk = tags.slice(i, i + BATCH);
        await Promise.all(chunk.map((t) => this.create(t.tag, 1n, t.step, t.description)));
      }
    });
  }

  /**
   * One script: `HINCRBY max_id step`, exact to 2^63-1, the range read back as strings, and the `WAIT` for the
   * replicas pipelined behind it. `UnknownBizTagError` without a hash, `IdOverflowError` past 2^63-1,
   * `LeafStoreError` (with the `HSET` that fixes it) for a `max_id` not an integer, `FenceRequiredError` on a
   * master the hash was not fenced for, `RedisReplicaAckError` (retried) when too few replicas acknowledged it.
   */
  async reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange> {
    const key = this.keyOf(bizTag);
    const waitFor = this.acks.before(key);
    const [reply, acknowledged] = await this.run(signal, key, async () => {
      const keys = await this.keys.forScript(key, this.fencing);
      const args = [String(step), this.acks.counting ? '1' : '0'];
      return this.scripts.reserve(keys, args, waitFor, this.acks.timeoutMs);
    });
    if (reply[0] !== 'ok') throw reserveRefusal(bizTag, key, step, reply);
    const [, before, after, healthy] = reply;
    const start = BigInt(before);
    const end = BigInt(after);
    // HINCRBY is atomic, so this holds unless the script changed: refuse rather than hand out a wrong range.
    if (end - start !== BigInt(step)) {
      throw new LeafStoreError(`Redis moved ${key} from ${before} to ${after}, not by ${step}.`);
    }
    const required = this.acks.required(key, Number(healthy));
    let acked = acknowledged;
    // A first reservation, or a replica that came back: the pipeline waited for fewer than are there now.
    if (acked < required && waitFor < required) {
      acked = await this.run(signal, key, () => this.scripts.wait(key, required, this.acks.timeoutMs));
    }
    if (acked < required) throw new RedisReplicaAckError(key, acked, required, this.acks.timeoutMs, { start, end });
    return { start, end };
  }

  async giveBack(bizTag: string, firstUnused: bigint, end: bigint, signal?: AbortSignal): Promise<boolean> {
    const key = this.keyOf(bizTag);
    const done = await this.run(signal, key, async () =>
      this.scripts.run('nestLeafGiveBack', await this.keys.forScript(key, this.fencing), [
        end.toString(),
        firstUnused.toString(),
      ]),
    );
    return done === 1;
  }

  async insertTag({ bizTag, maxId, step, description }: NewLeafAllocRow, signal?: AbortSignal): Promise<boolean> {
    return this.run(signal, this.keyOf(bizTag), () => this.create(bizTag, maxId, step, description));
  }

  async setStep(bizTag: string, step: number, signal?: AbortSignal): Promise<boolean> {
    const key = this.keyOf(bizTag);
    const done = await this.run(signal, key, () =>
      this.scripts.run('nestLeafSetStep', { keys: [key], marker: '' }, [String(step)]),
    );
    return done === 1;
  }

  /**
   * After a failover: on every master whose replication ID is not the one its hashes were fenced for, moves each
   * hash's `max_id` ahead by its skip (`skipFor`: a tag's own, its period tag's, or the default), never past
   * 2^63-1, and makes the hash and the marker name it. Atomic per hash, so nodes fencing at once move each one once;
   * a fence cut short is finished by the next (a hash not yet moved still names the old master). `identity` is
   * `redis replid <id>` (on a cluster, one per master).
   * @throws LeafStoreError when fencing is off
   */
  async fence(skips: FenceSkips, signal?: AbortSignal): Promise<FenceOutcome> {
    if (!this.fencing) throw fencingOff(this.location);
    return this.run(signal, `under ${this.keyPrefix}`, () =>
      fenceMasters(this.keys, this.client.isCluster, (...call) => this.scripts.run(...call), skips, signal),
    );
  }

  /**
   * Reads `appendonly`, `appendfsync` and `save` of every master once, logs what a Redis crash would cost under
   * them and which failover protection is on (a warning unless a crash costs nothing and fencing is on), and
   * resolves to it. The store calls it after its first command; never rejects, and never fails the store: a server
   * whose `CONFIG` is disabled is reported as `unknown`.
   */
  checkDurability(): Promise<RedisDurability> {
    this.durability ??= readDurability(() => this.keys.masters(), this.engine, this.logger, {
      fencing: this.fencing,
      replicas: this.acks.replicas,
      timeoutMs: this.acks.timeoutMs,
    });
    return this.durability;
  }

  /** The key of a tag; a marker's name is no tag's. */
  private keyOf(bizTag: string): string {
    if (RedisKeys.isMarker(bizTag)) throw new LeafStoreError(markerName(bizTag, this.keys.key(bizTag)));
    return this.keys.key(bizTag);
  }

  /** The hash of one tag as a row; undefined when there is none. */
  private async readRow(bizTag: string): Promise<LeafAllocRow | undefined> {
    const key = this.keyOf(bizTag);
    const [maxId, step] = await this.client.hmget(key, 'max_id', 'step').catch((error: unknown) => {
      throw notAHash(error, key);
    });
    if (maxId === null && step === null) return undefined;
    if (step === null || !/^[1-9][0-9]{0,9}$/.test(step) || Number(step) > 2_147_483_647) throw badStep(key, step);
    return { bizTag, step: Number(step) };
  }

  /** A hash listTags cannot serve is left out (findTag and reserve say why), and logged once. */
  private skip(bizTag: string, error: unknown): undefined {
    if (!(error instanceof LeafStoreError)) throw error;
    if (!this.skipped.has(bizTag)) this.logger.warn(`Not serving "${bizTag}": ${error.message}`);
    this.skipped.add(bizTag);
    return undefined;
  }

  /** Creates the hash unless the key exists; after a fence, a skip further on (see `CREATE_LUA`). */
  private async create(tag: string, maxId: bigint, step: number, description: string | null): Promise<boolean> {
    const key = this.keyOf(tag);
    const args = RedisScripts.createArgs(tag, maxId, step, description);
    return (await this.scripts.run('nestLeafCreate', await this.keys.forScript(key, this.fencing), args)) === 1;
  }

  /** One call through `RedisCalls`; the first one that succeeds also reads the server's durability. */
  private run<T>(signal: AbortSignal | undefined, key: string, call: () => Promise<T>): Promise<T> {
    const pending = this.calls.run(signal, call, (error) => notAHash(error, key));
    if (this.durability === undefined) void pending.then(() => this.checkDurability(), ignore);
    return pending;
  }
}

function ignore(): undefined {
  return undefined;
}
