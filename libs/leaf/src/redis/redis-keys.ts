import type { Cluster, Redis } from 'ioredis';
import { keySlot } from './redis-cluster-slot.js';
import { escapeGlob } from './redis-messages.js';

/**
 * The name of the failover marker under the prefix (see `redis-fence-scripts.ts`): `<prefix>__nest_leaf_fence__` on
 * a single server, `<prefix>__nest_leaf_fence__{n}` on each master of a cluster. The same name as the SQL stores'
 * marker row; no tag may take it (the options refuse it, the store too).
 */
export const FENCE_MARKER = '__nest_leaf_fence__';

/** Keys fetched per `SCAN` step; the listing never uses `KEYS`, which blocks the server for the whole keyspace. */
const SCAN_COUNT = 1000;

/** The keys and arguments a keyed script gets for one tag: its hash, and where its master's marker is. */
export interface ScriptKeys {
  /** `[hash]`, or `[hash, marker]` on a single server. */
  readonly keys: string[];
  /** The marker's full name (client prefix included) on a cluster, where it is not declared; '' otherwise. */
  readonly marker: string;
}

/**
 * Where the store's keys are: tags' hashes under the prefix, the failover markers, and the masters to scan. On a
 * cluster the marker of a master sits in a slot of its own (`{n}`, the smallest n whose slot the master serves), so
 * a script on a tag's key reads it on the same node; after slots move, a master may start a new marker (first seen,
 * no fence recorded): it costs at most a skip for a hash still named for another master, never a repeat.
 */
export class RedisKeys {
  /** The client's own `keyPrefix` (ioredis adds it to declared keys, not to arguments or `SCAN` patterns). */
  readonly clientPrefix: string;

  constructor(
    private readonly client: Redis | Cluster,
    /** The store's prefix of every tag's key. */
    readonly prefix: string,
  ) {
    this.clientPrefix = String(client.options.keyPrefix ?? '');
  }

  /** Whether `tag` names a marker rather than a tag: never listed, served or created. */
  static isMarker(tag: string): boolean {
    return tag === FENCE_MARKER || (tag.startsWith(`${FENCE_MARKER}{`) && tag.endsWith('}'));
  }

  key(tag: string): string {
    return this.prefix + tag;
  }

  /** The keys of a script on `key` (store-prefixed); without fencing, the hash alone. */
  async forScript(key: string, fencing: boolean): Promise<ScriptKeys> {
    if (!fencing) return { keys: [key], marker: '' };
    if (!this.client.isCluster) return { keys: [key, this.prefix + FENCE_MARKER], marker: '' };
    const master = await this.masterOfSlot(keySlot(this.clientPrefix + key));
    return { keys: [key], marker: this.clientPrefix + this.markerOf(master) };
  }

  /** The marker key (store-prefixed) of a master, named `host:port`; the one marker on a single server. */
  markerOf(master: string): string {
    if (!this.client.isCluster) return this.prefix + FENCE_MARKER;
    const slots = (this.client as Cluster).slots;
    if (slots.some((nodes) => nodes?.[0] === master)) {
      // Decimal hash tags reach every slot well before 100,000 (CRC16 spreads them evenly).
      for (let n = 0; n < 100_000; n++) {
        const marker = `${this.prefix}${FENCE_MARKER}{${n}}`;
        if (slots[keySlot(this.clientPrefix + marker)]?.[0] === master) return marker;
      }
    }
    throw new Error(`The Redis Cluster's slot map names no slot served by ${master}; its slots are moving, retry.`);
  }

  /** The client itself, or every master of a cluster (known once the slots are: a first command waits for that). */
  async masters(): Promise<Redis[]> {
    if (!this.client.isCluster) return [this.client as Redis];
    const cluster = this.client as Cluster;
    if (cluster.status !== 'ready') await cluster.ping();
    return cluster.nodes('master');
  }

  /** Every tag under the prefix on one node (`SCAN`, never `KEYS`), markers left out. */
  async scan(node: Redis, signal?: AbortSignal): Promise<string[]> {
    const fullPrefix = this.clientPrefix + this.prefix;
    const pattern = escapeGlob(fullPrefix) + '*';
    const tags: string[] = [];
    let cursor = '0';
    do {
      signal?.throwIfAborted();
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      for (const key of keys) {
        const tag = key.slice(fullPrefix.length);
        if (key.startsWith(fullPrefix) && !RedisKeys.isMarker(tag)) tags.push(tag);
      }
      cursor = next;
    } while (cursor !== '0');
    return tags;
  }

  /** `host:port` of a node, as the cluster's slot map names it. */
  static nameOf(node: Redis): string {
    return `${node.options.host ?? '?'}:${node.options.port ?? '?'}`;
  }

  private async masterOfSlot(slot: number): Promise<string> {
    const cluster = this.client as Cluster;
    if (cluster.slots[slot]?.[0] === undefined) await cluster.ping(); // connects, and loads the slot map
    const master = cluster.slots[slot]?.[0];
    if (master === undefined) throw new Error(`The Redis Cluster's slot map has no master for slot ${slot} yet.`);
    return master;
  }
}
