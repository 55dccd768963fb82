import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { IdOverflowError } from '../errors/id-overflow.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import type { LeafAllocRow, LeafStore, NewLeafAllocRow, ReservedRange, NewTagRow } from '../store/leaf-store.js';
import { readDurability, type RedisDurability } from './redis-durability.js';
import { RedisCalls } from './redis-calls.js';
import { addressOf, badMaxId, badStep, escapeGlob, notAHash, unknownTag } from './redis-messages.js';
import { SCRIPTS, type ReserveReply, type ScriptName } from './redis-scripts.js';

/** Options of `RedisLeafStore`. */
export interface RedisLeafStoreOptions {
  /**
   * Put before each tag to form its key: the hash of `order` is `<keyPrefix>order`. Default `leaf_alloc:`.
   * An ioredis client created with its own `keyPrefix` option gets that one in front of this one.
   */
  keyPrefix?: string;
}

/** Keys fetched per `SCAN` step; the listing never uses `KEYS`, which blocks the server for the whole keyspace. */
const SCAN_COUNT = 1000;
/** Hashes read (or created) at once, so 100,000 tags do not queue 100,000 commands at once. */
const BATCH = 500;

type ScriptCall = (key: string, ...args: string[]) => Promise<unknown>;

/**
 * `leaf_alloc` on Redis or Redis Cluster through an ioredis client: one hash per tag at `<keyPrefix><tag>`, with
 * the fields `max_id`, `step`, `description` and `update_time` (ms since the epoch), the same `[M, M + step)`
 * contract as the table. A hash written by hand (`HSET leaf_alloc:order max_id 1000 step 100`) is served from 1000.
 *
 * Every reservation is one script on one key: one round trip, atomic, exact up to 2^63-1. Tags are listed with
 * `SCAN` on every master, never with `KEYS`.
 *
 * Durability decides uniqueness: IDs handed out since the last write Redis kept on disk are handed out again after
 * a crash. On first use the store reads `appendonly`/`appendfsync`/`save` of every master and logs what a crash
 * would cost (see `checkDurability()`); run Redis with `appendonly yes` and `appendfsync always`.
 *
 * Cancelling: an aborted `AbortSignal` rejects the call at once, but a command already sent cannot be taken back.
 * A reservation that lands after its caller gave up is a gap, never a duplicate: the generator never uses it.
 *
 * The store listens to the client's `error` events (`RedisCalls`), so that ioredis does not print every failed
 * reconnection as an unhandled error; while the client is down, calls fail at once, naming the address and why.
 */
export class RedisLeafStore implements LeafStore {
  /** `redis` or `redis-cluster`. */
  readonly engine: string;
  /** `Redis at <host>:<port> (keys <prefix>*)`, or the cluster's: what messages name. */
  readonly location: string;
  /** The prefix of every tag's key (the store's own; a client's `keyPrefix` comes in front of it). */
  readonly keyPrefix: string;
  private readonly logger = new Logger('Leaf');
  private readonly scripts: Record<ScriptName, ScriptCall>;
  private durability?: Promise<RedisDurability>;
  /** Tags whose hash listTags left out, warned about once. */
  private readonly skipped = new Set<string>();
  private readonly calls: RedisCalls;

  /**
   * @param client an ioredis `Redis` or `Cluster`, owned by the caller (the store never connects or quits it)
   * @param options `keyPrefix`, default `leaf_alloc:`
   */
  constructor(
    private readonly client: Redis | Cluster,
    options: RedisLeafStoreOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? 'leaf_alloc:';
    this.engine = client.isCluster ? 'redis-cluster' : 'redis';
    this.location = `${addressOf(client)} (keys ${String(client.options.keyPrefix ?? '')}${this.keyPrefix}*)`;
    this.calls = new RedisCalls(client, this.location);
    // defineCommand sends EVAL the first time on each connection and EVALSHA after: one round trip either way.
    for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { numberOfKeys: 1, lua });
    const commands = client as unknown as Record<ScriptName, ScriptCall>;
    this.scripts = Object.fromEntries(
      Object.keys(SCRIPTS).map((name) => [name, commands[name as ScriptName].bind(client)]),
    ) as Record<ScriptName, ScriptCall>;
  }

  /** Every hash under the prefix (`SCAN` on each master); one it cannot serve is left out with a warning. */
  async listTags(signal?: AbortSignal): Promise<LeafAllocRow[]> {
    return this.run(signal, `under ${this.keyPrefix}`, async () => {
      const rows: LeafAllocRow[] = [];
      const tags = await this.scanTags(signal);
      for (let i = 0; i < tags.length; i += BATCH) {
        signal?.throwIfAborted();
        const chunk = tags.slice(i, i + BATCH);
        const found = await Promise.all(chunk.map((tag) => this.readRow(tag).catch((error) => this.skip(tag, error))));
        for (const row of found) if (row !== undefined) rows.push(row);
      }
      return rows;
    });
  }

  /** The hash of exactly `bizTag` (keys compare byte for byte); `LeafStoreError` with the fix for a bad one. */
  async findTag(bizTag: string, signal?: AbortSignal): Promise<LeafAllocRow | undefined> {
    return this.run(signal, this.keyPrefix + bizTag, () => this.readRow(bizTag));
  }

  async createTags(tags: readonly NewTagRow[], signal?: AbortSignal): Promise<void> {
    // One script per tag: in a cluster each key has a slot of its own, and a script may touch one slot only.
    await this.run(signal, `under ${this.keyPrefix}`, async () => {
      for (let i = 0; i < tags.length; i += BATCH) {
        signal?.throwIfAborted();
        const chunk = tags.slice(i, i + BATCH);
        await Promise.all(chunk.map((t) => this.create(t.tag, 1n, t.step, t.description)));
      }
    });
  }

  /**
   * One script: `HINCRBY max_id step`, exact to 2^63-1, the range read back as strings. `UnknownBizTagError` without a
   * hash, `IdOverflowError` past 2^63-1, `LeafStoreError` (with the `HSET` that fixes it) for a `max_id` not an integer.
   */
  async reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange> {
    const key = this.keyPrefix + bizTag;
    const reply = (await this.run(signal, key, () => this.scripts.nestLeafReserve(key, String(step)))) as ReserveReply;
    const [status, before, after] = reply as [string, string?, string?];
    if (status === 'ok') {
      const start = BigInt(before!);
      const end = BigInt(after!);
      // HINCRBY is atomic, so this holds unless the script changed: refuse rather than hand out a wrong range.
      if (end - start !== BigInt(step))
        throw new LeafStoreError(`Redis moved ${key} from ${before} to ${after}, not by ${step}.`);
      return { start, end };
    }
    if (status === 'missing') throw new UnknownBizTagError(bizTag, unknownTag(bizTag, key));
    if (status === 'overflow') throw new IdOverflowError(bizTag, BigInt(before!), step);
    throw badMaxId(key, before);
  }

  async giveBack(bizTag: string, firstUnused: bigint, end: bigint, signal?: AbortSignal): Promise<boolean> {
    const key = this.keyPrefix + bizTag;
    const done = await this.run(signal, key, () =>
      this.scripts.nestLeafGiveBack(key, end.toString(), firstUnused.toString()),
    );
    return done === 1;
  }

  async insertTag({ bizTag, maxId, step, description }: NewLeafAllocRow, signal?: AbortSignal): Promise<boolean> {
    return this.run(signal, this.keyPrefix + bizTag, () => this.create(bizTag, maxId, step, description));
  }

  async setStep(bizTag: string, step: number, signal?: AbortSignal): Promise<boolean> {
    const key = this.keyPrefix + bizTag;
    const done = await this.run(signal, key, () => this.scripts.nestLeafSetStep(key, String(step)));
    return done === 1;
  }

  /**
   * Reads `appendonly`, `appendfsync` and `save` of every master once, logs what a Redis crash would cost under
   * them (a warning unless it costs nothing), and resolves to it. The store calls it after its first command;
   * never rejects, and never fails the store: a server whose `CONFIG` is disabled is reported as `unknown`.
   */
  checkDurability(): Promise<RedisDurability> {
    this.durability ??= readDurability(() => this.masters(), this.engine, this.logger);
    return this.durability;
  }

  /** Every tag under the prefix: `SCAN` on each master of a cluster (a `SCAN` sees one node only). */
  private async scanTags(signal?: AbortSignal): Promise<string[]> {
    const clientPrefix = String(this.client.options.keyPrefix ?? '');
    const fullPrefix = clientPrefix + this.keyPrefix;
    const pattern = escapeGlob(fullPrefix) + '*';
    const nodes = await this.masters();
    const tags = new Set<string>(); // a key being moved between slots may show up on two masters
    for (const node of nodes) {
      let cursor = '0';
      do {
        signal?.throwIfAborted();
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
        for (const key of keys) if (key.startsWith(fullPrefix)) tags.add(key.slice(fullPrefix.length));
        cursor = next;
      } while (cursor !== '0');
    }
    return [...tags];
  }

  /** The client itself, or every master of a cluster (known once the slots are: a first command waits for that). */
  private async masters(): Promise<Redis[]> {
    if (!this.client.isCluster) return [this.client as Redis];
    const cluster = this.client as Cluster;
    if (cluster.status !== 'ready') await cluster.ping();
    return cluster.nodes('master');
  }

  /** The hash of one tag as a row; undefined when there is none. */
  private async readRow(bizTag: string): Promise<LeafAllocRow | undefined> {
    const key = this.keyPrefix + bizTag;
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

  private async create(tag: string, maxId: bigint, step: number, description: string | null): Promise<boolean> {
    const args = [maxId.toString(), String(step), ...(description === null ? [] : [description])];
    return (await this.scripts.nestLeafCreate(this.keyPrefix + tag, ...args)) === 1;
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
