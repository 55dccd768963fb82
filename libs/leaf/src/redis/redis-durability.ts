import type { Redis } from 'ioredis';
import type { LoggerService } from '@nestjs/common';
import { messageOf } from '../errors/error-message.js';
import type { RedisReplicas } from './redis-replicas.js';

/**
 * How a Redis node keeps `max_id` across a crash, from the safest to the least safe:
 * - `aof-always`: every write is in the append-only file and fsynced before Redis replies; a crash loses nothing
 *   a node was told.
 * - `aof-everysec`: fsynced once a second; a crash of the machine loses up to ~1 s of reservations (2 s when the
 *   disk stalls), a crash of the Redis process alone usually nothing.
 * - `aof-no-fsync`: written, but flushed when the OS decides (~30 s on Linux) should the machine crash.
 * - `rdb-snapshots`: only RDB snapshots (`save`): everything since the last snapshot.
 * - `none`: nothing on disk; a restart starts empty.
 * - `unknown`: the settings could not be read (`CONFIG` disabled by an ACL or a managed service).
 */
export type RedisPersistence = 'aof-always' | 'aof-everysec' | 'aof-no-fsync' | 'rdb-snapshots' | 'none' | 'unknown';

/** The persistence settings of one master, as read with `CONFIG GET`. */
export interface RedisNodeDurability {
  /** `host:port` of the node. */
  readonly node: string;
  readonly persistence: RedisPersistence;
  readonly appendonly?: string;
  readonly appendfsync?: string;
  readonly save?: string;
  /** Why the settings could not be read, when `persistence` is `unknown`. */
  readonly error?: string;
  /** Replicas connected to it (`INFO replication`), when that could be read. */
  readonly replicas?: number;
}

/** What protects the IDs against a failover to a replica: the store's `fencing` and `replicas` options. */
export interface RedisFailoverProtection {
  readonly fencing: boolean;
  readonly replicas: RedisReplicas;
  /** The bound of each `WAIT`, ms. */
  readonly timeoutMs: number;
}

/** What a Redis crash would cost the IDs handed out, for the least safe master. */
export interface RedisDurability {
  /** The least safe setting among the masters whose settings could be read; `unknown` if none could. */
  readonly persistence: RedisPersistence;
  /** Every master, in the order the client lists them. */
  readonly nodes: readonly RedisNodeDurability[];
  /** The failover protection the store runs with. */
  readonly protection: RedisFailoverProtection;
  /**
   * The line the store logs: what a crash costs under these settings (and the fix when there is one), then what a
   * failover to a replica costs under the protection that is on.
   */
  readonly message: string;
}

const RANK: readonly RedisPersistence[] = ['aof-always', 'aof-everysec', 'aof-no-fsync', 'rdb-snapshots', 'none'];

const FIX = 'For IDs that never repeat, set appendonly yes and appendfsync always (see docs/stores.md of nest-leaf).';

/** Reads `appendonly`, `appendfsync` and `save` of one node; never rejects. */
export async function readNodeDurability(node: Redis): Promise<RedisNodeDurability> {
  const name = `${node.options.host ?? '?'}:${node.options.port ?? '?'}`;
  try {
    // Two glob patterns rather than one CONFIG GET of three names, which only Redis 7 accepts.
    const settings = new Map<string, string>();
    for (const pattern of ['append*', 'save']) {
      const pairs = (await node.config('GET', pattern)) as string[];
      for (let i = 0; i + 1 < pairs.length; i += 2) settings.set(pairs[i], pairs[i + 1]);
    }
    const appendonly = settings.get('appendonly');
    const appendfsync = settings.get('appendfsync');
    const save = settings.get('save');
    if (appendonly === undefined || save === undefined) throw new Error('CONFIG GET returned no appendonly or save');
    const replicas = await node
      .info('replication')
      .then((info) => Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? Number.NaN))
      .catch(() => Number.NaN);
    return {
      node: name,
      persistence: classify(appendonly, appendfsync, save),
      appendonly,
      appendfsync,
      save,
      ...(Number.isNaN(replicas) ? {} : { replicas }),
    };
  } catch (error) {
    return { node: name, persistence: 'unknown', error: messageOf(error) };
  }
}

function classify(appendonly: string, appendfsync: string | undefined, save: string): RedisPersistence {
  if (appendonly === 'yes') {
    if (appendfsync === 'always') return 'aof-always';
    return appendfsync === 'no' ? 'aof-no-fsync' : 'aof-everysec';
  }
  return save.trim() === '' ? 'none' : 'rdb-snapshots';
}

/** The least safe of the nodes, and the line that says what a crash and a failover cost. */
export function summarize(
  nodes: readonly RedisNodeDurability[],
  protection: RedisFailoverProtection = { fencing: true, replicas: 'connected', timeoutMs: 1000 },
): RedisDurability {
  const known = nodes.filter((node) => node.persistence !== 'unknown');
  const worst = known.reduce<RedisNodeDurability | undefined>(
    (a, b) => (a === undefined || RANK.indexOf(b.persistence) > RANK.indexOf(a.persistence) ? b : a),
    undefined,
  );
  const unread = nodes.filter((node) => node.persistence === 'unknown');
  const redis = nodes.length > 1 && worst ? `Redis ${worst.node} (the least safe of ${nodes.length} masters)` : 'Redis';
  let message = worst === undefined ? '' : costOf(worst, redis);
  if (unread.length > 0) {
    message +=
      (message ? ' ' : '') +
      `Could not read the persistence settings of Redis ${unread.map((n) => n.node).join(', ')} ` +
      `(${unread[0].error}), so what a Redis crash costs is unknown: without appendonly yes and appendfsync ` +
      'always, IDs handed out before a crash can be handed out again after it. Check the settings with your provider.';
  }
  message += ' ' + failoverCost(protection, nodes);
  return { persistence: worst?.persistence ?? 'unknown', nodes, protection, message };
}

/** What a failover to a replica that missed the last reservations costs under the store's protection. */
function failoverCost(
  { fencing, replicas, timeoutMs }: RedisFailoverProtection,
  nodes: readonly RedisNodeDurability[],
) {
  const counted = nodes.filter((node) => node.replicas !== undefined);
  const now = counted.length === 0 ? '' : `; ${counted.reduce((sum, n) => sum + n.replicas!, 0)} connected now`;
  const wait =
    replicas === 0
      ? 'no WAIT (replicas: 0)'
      : replicas === 'connected'
        ? `each reservation waits (WAIT, up to ${timeoutMs} ms) for the replicas connected and answering${now}`
        : `each reservation waits (WAIT, up to ${timeoutMs} ms) for ${replicas} replica(s), and a range fewer ` +
          `acknowledged is not served${now}`;
  if (fencing) {
    return (
      `Failover protection: fencing on promotion (a promoted replica, or a restarted master, has a new replication ` +
      `ID: every tag moves ahead by its failoverSkip before anyone reserves from it, so no ID repeats); ${wait}.`
    );
  }
  return (
    `Failover protection: fencing is OFF (RedisLeafStore fencing: false); ${wait}. Replication is asynchronous: ` +
    'a replica promoted after its master failed hands out again the IDs of every reservation it had not received' +
    (replicas === 0 ? '.' : ' (WAIT narrows that window but is no consensus).') +
    ' Turn fencing on.'
  );
}

function costOf(node: RedisNodeDurability, redis: string): string {
  switch (node.persistence) {
    case 'aof-always':
      return (
        `${redis} persistence: appendonly yes, appendfsync always. A Redis crash loses no reservation: no ID ` +
        'repeats after a restart of the same server.'
      );
    case 'aof-everysec':
      return (
        `${redis} persistence: appendonly yes, appendfsync ${node.appendfsync}. If the machine running Redis ` +
        'crashes, up to about 1 s of reservations (2 s when the disk stalls) is lost, and the IDs of those segments ' +
        `are handed out again after the restart. ${FIX}`
      );
    case 'aof-no-fsync':
      return (
        `${redis} persistence: appendonly yes, appendfsync no. If the machine running Redis crashes, every ` +
        'reservation the OS had not yet flushed (about 30 s on Linux) is lost, and the IDs of those segments are ' +
        `handed out again after the restart. ${FIX}`
      );
    case 'rdb-snapshots':
      return (
        `${redis} persistence: RDB snapshots only (save "${node.save}", appendonly no). A Redis crash loses ` +
        'every reservation since the last snapshot, and the IDs of those segments are handed out again after the ' +
        `restart. ${FIX}`
      );
    default:
      return (
        `${redis} keeps nothing on disk (appendonly no, save ""). A restart empties it: nodes that were running ` +
        'stop serving the tags (their hashes are gone), and a node started afterwards creates them again at 1, ' +
        `handing out every ID issued so far a second time. ${FIX}`
      );
  }
}

/**
 * Reads the durability of every master once and logs what a Redis crash, and a failover, would cost: a warning
 * unless a crash costs nothing and fencing is on. Never rejects: a server whose `CONFIG` is disabled is reported as
 * `unknown`.
 */
export async function readDurability(
  masters: () => Promise<Redis[]>,
  engine: string,
  logger: LoggerService,
  protection: RedisFailoverProtection,
): Promise<RedisDurability> {
  let nodes: RedisNodeDurability[];
  try {
    nodes = await Promise.all((await masters()).map(readNodeDurability));
    if (nodes.length === 0) throw new Error('the cluster lists no master');
  } catch (error) {
    nodes = [{ node: engine, persistence: 'unknown', error: String((error as Error)?.message ?? error) }];
  }
  const durability = summarize(nodes, protection);
  if (durability.persistence === 'aof-always' && protection.fencing) logger.log(durability.message);
  else logger.warn(durability.message);
  return durability;
}
