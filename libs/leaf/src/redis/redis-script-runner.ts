import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { periodRowParts } from '../period/period-names.js';
import type { ScriptKeys } from './redis-keys.js';
import { SCRIPTS, WITH_MARKER, type ReserveReply, type ScriptName } from './redis-scripts.js';

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

/** A period began before the fence and its row may be one the failover lost: the earliest zone is UTC+14. */
const EARLIEST_ZONE_MS = 14 * 3_600_000;

/**
 * The store's scripts on its client: defined once (ioredis `defineCommand` sends `EVAL` the first time on each
 * connection and `EVALSHA` after: one round trip either way), called alone or in a pipeline with a `WAIT` behind.
 * A script that may read the marker takes its number of keys with each call (2 on a server, 1 on a cluster) and
 * gets the fencing switch and the marker's name as its first two arguments.
 */
export class RedisScripts {
  private readonly calls: Record<ScriptName, ScriptCall>;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly fencing: boolean,
  ) {
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      client.defineCommand(name, { numberOfKeys: WITH_MARKER.has(name as ScriptName) ? undefined : 1, lua });
    }
    const commands = client as unknown as Record<ScriptName, ScriptCall>;
    this.calls = Object.fromEntries(
      Object.keys(SCRIPTS).map((name) => [name, commands[name as ScriptName].bind(client)]),
    ) as Record<ScriptName, ScriptCall>;
  }

  run(name: ScriptName, keys: ScriptKeys, args: string[]): Promise<unknown> {
    return this.calls[name](...this.argsOf(name, keys, args));
  }

  /** The reservation script, with `WAIT replicas timeoutMs` behind it in one pipeline unless `replicas` is 0. */
  async reserve(
    keys: ScriptKeys,
    args: string[],
    replicas: number,
    timeoutMs: number,
  ): Promise<[reply: ReserveReply, acknowledged: number]> {
    if (replicas === 0) return [(await this.run('nestLeafReserve', keys, args)) as ReserveReply, 0];
    const pipeline = this.client.pipeline();
    const queue = (pipeline as unknown as Record<ScriptName, (...a: (string | number)[]) => unknown>).nestLeafReserve;
    queue.call(pipeline, ...this.argsOf('nestLeafReserve', keys, args));
    const [reply, acked] = await exec(pipeline.call('WAIT', replicas, timeoutMs));
    return [reply as ReserveReply, Number(acked)];
  }

  /**
   * `WAIT replicas timeoutMs` on the connection a reservation of `key` went out on (a read of the key routes it
   * there on a cluster): it waits for that connection's newest write.
   */
  async wait(key: string, replicas: number, timeoutMs: number): Promise<number> {
    const [, acked] = await exec(this.client.pipeline().hexists(key, 'max_id').call('WAIT', replicas, timeoutMs));
    return Number(acked);
  }

  /** The arguments of `CREATE_LUA` for a tag (see there): the skips the marker may hold, and a period's start. */
  static createArgs(tag: string, maxId: bigint, step: number, description: string | null): string[] {
    const period = periodRowParts(tag);
    return [
      maxId.toString(),
      String(step),
      `skip:${tag}`,
      `skip:${period?.tag ?? tag}`,
      period === undefined ? '' : periodStart(period.key),
      ...(description === null ? [] : [description]),
    ];
  }

  private argsOf(name: ScriptName, keys: ScriptKeys, args: string[]): (string | number)[] {
    if (!WITH_MARKER.has(name)) return [...keys.keys, ...args];
    return [keys.keys.length, ...keys.keys, this.fencing ? '1' : '0', keys.marker, ...args];
  }
}

/** The replies of a pipeline; the first error, if any, rejects. */
async function exec(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) if (error) throw error;
  return results.map(([, reply]) => reply);
}

/** The earliest instant a period (`20261201`, `202612`, `2026`) began anywhere, in ms; '' (a plain tag) if no date. */
function periodStart(key: string): string {
  const year = Number(key.slice(0, 4));
  const month = key.length >= 6 ? Number(key.slice(4, 6)) : 1;
  const day = key.length === 8 ? Number(key.slice(6, 8)) : 1;
  if (month < 1 || month > 12 || day < 1 || day > 31) return '';
  return String(Date.UTC(year, month - 1, day) - EARLIEST_ZONE_MS);
}
