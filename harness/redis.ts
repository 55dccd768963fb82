import { Redis, type Cluster } from 'ioredis';

/**
 * Where the tests and the bench find Redis: LEAF_TEST_REDIS_HOST and _PORT, by default the machine's server on
 * 127.0.0.1:6379 (nothing on disk, not a cluster). Whoever uses it keeps to a key prefix of its own and deletes
 * its keys; a test that kills or restarts Redis starts a private `redis-server` (test/support/redis-server.ts).
 */
export const REDIS = {
  host: process.env.LEAF_TEST_REDIS_HOST ?? '127.0.0.1',
  port: Number(process.env.LEAF_TEST_REDIS_PORT ?? 6379),
};

/** A `RedisLeafStore` on a server: its address and the key prefix of the suite or run. */
export interface RedisTarget {
  readonly host: string;
  readonly port: number;
  /** `RedisLeafStore`'s `keyPrefix`: the hash of tag `t` is `<keyPrefix>t`. */
  readonly keyPrefix: string;
}

/** A key prefix of one's own on REDIS, the Redis counterpart of a fresh database (mariadb.ts). */
export interface RedisKeySpace {
  readonly target: RedisTarget;
  /** A client of the harness's own (not the library's). */
  readonly client: Redis;
  /** `max_id` of a tag's hash, exactly (HGET); undefined when there is none. */
  maxId(tag: string): Promise<bigint | undefined>;
  /** Deletes every key under the prefix. */
  clear(): Promise<void>;
  /** Deletes the keys (unless `keep`) and quits the client. */
  close(options?: { keep?: boolean }): Promise<void>;
}

/**
 * The keys under `keyPrefix` on REDIS, deleted now and by `close()`. A prefix names its owner
 * (`leaf_test:<suite>:`, `leaf_bench:<run>:<purpose>:`) so that suites, bench runs and users of the server never meet.
 */
export async function freshRedisKeys(keyPrefix: string): Promise<RedisKeySpace> {
  const client = new Redis({ ...REDIS, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(
      `Cannot reach Redis at ${REDIS.host}:${REDIS.port} (${String(error)}). Start it, or point LEAF_TEST_REDIS_HOST/PORT at one.`,
      { cause: error },
    );
  }
  const clear = async () => {
    await deleteKeys(client, keyPrefix);
  };
  await clear();
  return {
    target: { ...REDIS, keyPrefix },
    client,
    async maxId(tag) {
      const value = await client.hget(keyPrefix + tag, 'max_id');
      return value === null ? undefined : BigInt(value);
    },
    clear,
    async close({ keep = false } = {}) {
      try {
        if (!keep) await clear();
      } finally {
        await client.quit().catch(() => client.disconnect());
      }
    },
  };
}

/** Deletes every key under `prefix` (SCAN, never KEYS), on each master of a cluster. */
export async function deleteKeys(client: Redis | Cluster, prefix: string): Promise<number> {
  const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  const pattern = prefix.replace(/[*?[\]\\]/g, '\\$&') + '*';
  let deleted = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      // One DEL per key: in a cluster the keys of one DEL must share a slot.
      for (const key of keys) deleted += await node.del(key);
      cursor = next;
    } while (cursor !== '0');
  }
  return deleted;
}
