import { afterAll, describe, expect, it } from '@jest/globals';
import { waitFor, type FailoverPair, type Role } from '../support/replication/common.js';
import { PrivateGalera } from '../support/replication/galera.js';
import { PrivateMariaDbPair } from '../support/replication/mariadb-pair.js';
import { PrivatePgPair } from '../support/replication/pg-pair.js';
import { PrivateRedisPair } from '../support/replication/redis-pair.js';

/**
 * The failover harness does what a "no duplicate ID across a failover" test needs, on each setup: the replica
 * follows the primary; after a cut, a write on the primary (a `leaf_alloc`-like row, max_id 1 -> 1001) never reaches
 * it; once the primary is killed and the replica promoted, that write is gone (max_id back at 1, so the same range
 * would be handed out twice) and the promoted server tells its new history apart. Galera: three nodes synced, and
 * two writers on one row through different nodes meet certification conflicts (ER_LOCK_DEADLOCK).
 */

const STEP = 1000;
/** The same statement creates the row's table on PostgreSQL, MariaDB and Galera (which needs a primary key). */
const DDL = 'CREATE TABLE leaf_alloc (biz_tag varchar(128) PRIMARY KEY, max_id bigint NOT NULL)';
const INSERT = "INSERT INTO leaf_alloc VALUES ('order', 1)";

/** How a setup stores the row; the scenario is the same on each. */
interface Row {
  create(): Promise<void>;
  read(role: Role): Promise<number>;
  /** One reservation: max_id += step; returns the new max_id. */
  reserve(role: Role): Promise<number>;
}

/** Replicated, cut, written, killed, promoted: returns what the promoted replica holds afterwards. */
async function loseAWrite<I>(pair: FailoverPair<I>, row: Row): Promise<{ before: I; after: I; replicaBefore: I }> {
  await row.create();
  await waitFor('the row on the replica', 15_000, async () => (await row.read('replica')) === 1);
  const before = await pair.identity('primary');
  const replicaBefore = await pair.identity('replica');

  await pair.cutReplication();
  expect(await row.reserve('primary')).toBe(1 + STEP);
  expect(await row.read('replica')).toBe(1);
  await pair.killPrimary();
  await pair.promote();

  expect(await row.read('replica')).toBe(1); // the acknowledged write is lost
  expect(await row.reserve('replica')).toBe(1 + STEP); // and the same range is reserved again
  return { before, after: await pair.identity('replica'), replicaBefore };
}

describe('replication harness (private servers on loopback)', () => {
  const disposals: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await Promise.all(disposals.map((dispose) => dispose()));
  });

  it('PostgreSQL: streaming replica, cut, kill -9, promote: the write is lost, the timeline moves on', async () => {
    const pair = await PrivatePgPair.start();
    disposals.push(() => pair.dispose());
    const value = async (role: Role, sql: string) =>
      Number((await pair.query<{ max_id: string }>(role, sql, ['order']))[0]?.max_id);
    const { before, after, replicaBefore } = await loseAWrite(pair, {
      create: async () => {
        await pair.query('primary', DDL);
        await pair.query('primary', INSERT);
      },
      read: (role) => value(role, 'SELECT max_id FROM leaf_alloc WHERE biz_tag = $1'),
      reserve: (role) =>
        value(role, `UPDATE leaf_alloc SET max_id = max_id + ${STEP} WHERE biz_tag = $1 RETURNING max_id`),
    });
    expect(before).toMatchObject({ timeline: 1, inRecovery: false });
    expect(replicaBefore).toMatchObject({ timeline: 1, inRecovery: true });
    expect(after).toEqual({ timeline: 2, systemIdentifier: before.systemIdentifier, inRecovery: false });
    await pair.dispose();
  });

  it('MariaDB: GTID replica, cut, kill -9, promote: the write is lost, another server_id serves', async () => {
    const pair = await PrivateMariaDbPair.start();
    disposals.push(() => pair.dispose());
    const read = async (role: Role) =>
      Number(
        (await pair.query<{ max_id: string }>(role, "SELECT max_id FROM leaf_alloc WHERE biz_tag = 'order'"))[0]
          ?.max_id,
      );
    const { before, after, replicaBefore } = await loseAWrite(pair, {
      create: async () => {
        await pair.query('primary', DDL);
        await pair.query('primary', INSERT);
      },
      read,
      reserve: async (role) => {
        await pair.query(role, `UPDATE leaf_alloc SET max_id = max_id + ${STEP} WHERE biz_tag = 'order'`);
        return read(role);
      },
    });
    expect(before).toMatchObject({ serverId: 1, readOnly: false, gtidDomainId: 0 });
    expect(replicaBefore).toMatchObject({ serverId: 2, readOnly: true, gtidCurrentPos: before.gtidCurrentPos });
    expect(after).toMatchObject({ serverId: 2, readOnly: false });
    expect(after.serverId).not.toBe(before.serverId);
    // MariaDB 10.3+ has semisync built in: a later change reads these.
    expect(before.semiSync).toEqual({ masterEnabled: false, masterTimeoutMs: expect.any(Number) });
    await pair.dispose();
  });

  it('Redis: replica behind a cut proxy, kill -9, REPLICAOF NO ONE: the write is lost, master_replid changes', async () => {
    const pair = await PrivateRedisPair.start({ appendFsyncAlways: true });
    disposals.push(() => pair.dispose());
    const read = async (role: Role) => Number(await pair.command(role, 'HGET', 'leaf:order', 'max_id'));
    const { before, after, replicaBefore } = await loseAWrite(pair, {
      create: async () => void (await pair.command('primary', 'HSET', 'leaf:order', 'max_id', 1)),
      read,
      reserve: async (role) => Number(await pair.command(role, 'HINCRBY', 'leaf:order', 'max_id', STEP)),
    });
    expect(before.role).toBe('master');
    expect(replicaBefore).toMatchObject({ role: 'slave', masterReplId: before.masterReplId });
    expect(after.role).toBe('master');
    expect(after.masterReplId).not.toBe(before.masterReplId);
    expect(after.masterReplId2).toBe(before.masterReplId);
    await pair.dispose();
  });

  it('Galera: 3 nodes synced; two writers on one row through two nodes meet certification conflicts (1213)', async () => {
    const cluster = await PrivateGalera.start();
    disposals.push(() => cluster.dispose());
    for (const node of [0, 1, 2]) {
      expect(await cluster.status(node)).toEqual({ clusterSize: 3, state: 'Synced', ready: true });
    }
    await cluster.query(0, DDL);
    await cluster.query(0, INSERT);

    const { commits, conflicts } = await contend(cluster, [0, 1], 4, 2000);
    console.log(
      `Galera: ${commits} commits, ${conflicts} certification conflicts (1213) in 2 s, 4 writers on each of 2 nodes`,
    );
    expect(conflicts).toBeGreaterThan(0);
    // Every commit counted once, read on the third node once it has applied everything before the read.
    const third = await cluster.connect(2);
    try {
      await third.query('SET SESSION wsrep_sync_wait = 1');
      const [rows] = await third.query("SELECT max_id FROM leaf_alloc WHERE biz_tag = 'order'");
      expect(Number((rows as { max_id: string }[])[0].max_id)).toBe(1 + commits * STEP);
    } finally {
      third.destroy();
    }

    await cluster.killNode(2);
    await cluster.waitForClusterSize(2);
    await cluster.dispose();
  }, 90_000);
});

/** `writers` connections through each of `nodes`, each reserving in a loop of explicit transactions for `ms`. */
async function contend(
  cluster: PrivateGalera,
  nodes: readonly number[],
  writers: number,
  ms: number,
): Promise<{ commits: number; conflicts: number }> {
  let commits = 0;
  let conflicts = 0;
  const deadline = Date.now() + ms;
  const writer = async (node: number) => {
    const connection = await cluster.connect(node);
    try {
      while (Date.now() < deadline) {
        try {
          // Explicit transactions: wsrep_retry_autocommit would retry a conflicting autocommit statement unseen.
          await connection.query('BEGIN');
          await connection.query(`UPDATE leaf_alloc SET max_id = max_id + ${STEP} WHERE biz_tag = 'order'`);
          await connection.query('COMMIT');
          commits++;
        } catch (error) {
          if ((error as { errno?: number }).errno !== 1213) throw error;
          conflicts++;
          await connection.query('ROLLBACK');
        }
      }
    } finally {
      connection.destroy();
    }
  };
  await Promise.all(nodes.flatMap((node) => Array.from({ length: writers }, () => writer(node))));
  return { commits, conflicts };
}
