import { CliError } from './cli-errors.js';
import { isoTime, type CliConnection, type TagRowView } from './cli-connection.js';
import type { ConnectionTarget } from './connection-url.js';
import { importOrExplain } from './sql-connection.js';

type RedisTarget = Extract<ConnectionTarget, { kind: 'redis' }>;

/** Hashes read at once. */
const BATCH = 500;

/**
 * An ioredis client on the target and `RedisLeafStore` on it, under `keyPrefix` (the store's default when undefined).
 * ioredis is an optional peer of nest-leaf: a missing one is a `CliError` naming what to install.
 */
export async function openRedis(target: RedisTarget, keyPrefix: string | undefined): Promise<CliConnection> {
  const { Redis } = await importOrExplain(() => import('ioredis'), 'ioredis', 'npm install ioredis');
  const { RedisLeafStore } = await import('../redis/index.js');
  // One attempt, no reconnection loop: a command line reports an unreachable server at once.
  const client = new Redis(target.url, {
    lazyConnect: true,
    connectTimeout: 10_000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  // The first error event says why (ECONNREFUSED, ENOTFOUND); connect() then only rejects with "Connection is closed".
  let why: Error | undefined;
  client.on('error', (error: Error) => (why ??= error));
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    const cause = why ?? (error as Error);
    const code = (cause as { code?: string }).code;
    throw CliError.connection(
      `Could not connect to Redis at ${target.shown}: ${code === undefined ? '' : `${code}: `}${cause.message}`,
      cause,
    );
  }
  const store = new RedisLeafStore(client, keyPrefix === undefined ? {} : { keyPrefix });
  return {
    store,
    shown: target.shown,
    rows: async (tags) => {
      const rows: TagRowView[] = [];
      for (let i = 0; i < tags.length; i += BATCH) {
        const chunk = tags.slice(i, i + BATCH);
        const found = await Promise.all(
          chunk.map((tag) => client.hmget(store.keyPrefix + tag, 'max_id', 'step', 'description', 'update_time')),
        );
        chunk.forEach((tag, k) => {
          const [maxId, step, description, updated] = found[k];
          if (maxId === null || step === null) return; // deleted between the two reads
          const ms = updated === null ? NaN : Number(updated);
          rows.push({
            bizTag: tag,
            maxId,
            step: Number(step),
            description,
            updatedAt: Number.isFinite(ms) ? isoTime(new Date(ms)) : null,
          });
        });
      }
      return rows;
    },
    // A Redis hash is made by its first write: no table to create.
    migrate: async () => ({ created: [], existing: [] }),
    close: async () => {
      // The store reads the server's persistence after its first command, and logs what a crash would cost: let it
      // finish (it never rejects), so --verbose always shows it rather than when the race allows.
      await store.checkDurability();
      await client.quit().catch(() => client.disconnect());
    },
  };
}
