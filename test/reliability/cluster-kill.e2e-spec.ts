import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { LeafStore } from 'nest-leaf';
import { sleep } from '../../harness/assertions.js';
import { startIdServer, type IdServerApp } from '../../harness/leaf-server.js';
import { freshDatabase } from '../../harness/mariadb.js';
import { freshRedisKeys } from '../../harness/redis.js';
import { account, type Accounting } from '../support/cluster-accounting.js';
import { freshPostgres, POSTGRES } from '../support/demo/postgres.js';
import { createTableSql } from 'nest-leaf/pg';
import { join } from 'node:path';
import { generatePrismaClient } from '../support/prisma-client.js';

/** leaf_alloc is none of the schema's models: the schema needs one model all the same. */
const PRISMA_MODELS = 'model KillProbe {\n  id Int @id\n}';
const ROOT = join(import.meta.dirname, '..', '..');
import { buildNodeScript, Cluster, type NodeConfig } from '../support/cluster.js';
import { selectStores } from '../support/stores.js';

/**
 * Many nodes, killed at random: NODES processes, each a Nest application context with its own DataSource or
 * Redis client, or an HttpLeafStore reserving through an ID server (test/support/cluster-node.ts), issue IDs of
 * three tags from many loops while the test SIGKILLs random ones at random times and starts a new process in
 * their place. At the end every node stops gracefully.
 * Every node records each reservation and each issued ID before using it; test/support/cluster-accounting.ts
 * checks the records against each other and against the store's final `max_id`. The same run, on each store.
 * A second test states what the runway costs a kill: one node with the default dynamic step and runway, killed
 * every few seconds, loses what it held; its gaps are printed in IDs and in seconds of its traffic.
 */

const SECONDS = Number(process.env.LEAF_KILL_SECONDS ?? 30);
const NODES = Number(process.env.LEAF_KILL_NODES ?? 8);
if (!(SECONDS > 0) || !Number.isInteger(NODES) || NODES < 2) {
  throw new Error(
    `LEAF_KILL_SECONDS must be a positive number and LEAF_KILL_NODES an integer of at least 2, got ${SECONDS} and ${NODES}`,
  );
}
const TAGS = ['order', 'user', 'invoice'];
// A fixed step, so "at most two segments lost per kill" is a number the test can hold the library to.
const STEP = 200;
const THRESHOLD = 0.5;
// Per tag and node at most LOOPS_PER_TAG × MAX_BATCH IDs are owed at once, below STEP × THRESHOLD: so the
// IDs a node has issued but not yet recorded never straddle a segment switch and a reservation together,
// and a kill at any instant leaves at most the current segment plus the next (or the one in flight).
const LOOPS_PER_TAG = 8;
const MAX_BATCH = 8;
// The runway's cost: one node on tags of their own with the default dynamic step and runway, killed every few
// seconds. Segments then grow to cover the runway at the node's peak rate, and a kill loses what it held.
const RUNWAY_TAGS = ['payment', 'refund'];
const RUNWAY_MS = 60_000;
const RUNWAY_KILLS = Number(process.env.LEAF_RUNWAY_KILLS ?? 4);

/** Where the nodes reserve, made afresh for the run: what each node's configuration says about it, and the end state. */
interface KillStore {
  readonly node: Pick<NodeConfig, 'database' | 'connection' | 'store'>;
  /** Node flags of the nodes on this store. */
  readonly execArgv?: string[];
  /** `max_id` of a tag once every node has stopped: the table's row, the Redis hash's field. */
  maxId(tag: string): Promise<bigint | undefined>;
  /** Drops what `open` made, unless the run failed (then it is kept for a post-mortem). */
  close(passed: boolean): Promise<void>;
}

const STORES = selectStores<{ readonly name: string; readonly key?: string; open(): Promise<KillStore> }>([
  {
    name: 'MariaDB',
    async open() {
      const db = await freshDatabase('cluster_kill');
      return {
        node: { database: db.name, connection: { poolSize: 4 } },
        maxId: (tag) => db.maxId(tag),
        close: () => db.close(),
      };
    },
  },
  {
    name: 'Redis',
    async open() {
      // The machine's server, under a prefix of this suite's own (emptied first, as freshDatabase drops the database):
      // the nodes are killed, never Redis.
      const keys = await freshRedisKeys('leaf_test:cluster_kill:');
      return {
        node: { store: { kind: 'redis', ...keys.target } },
        maxId: (tag) => keys.maxId(tag),
        close: (passed) => keys.close({ keep: !passed }),
      };
    },
  },
  {
    name: 'PostgreSQL through a pg Pool (PgLeafStore)',
    key: 'pg',
    async open() {
      const db = await freshPostgres('cluster_kill_pg');
      await db.query(createTableSql('postgres'));
      return {
        node: { store: { kind: 'pg', ...POSTGRES, database: db.name } },
        maxId: async (tag) => {
          const [row] = await db.query<{ m: string }>('SELECT max_id::text AS m FROM leaf_alloc WHERE biz_tag = $1', [
            tag,
          ]);
          return row === undefined ? undefined : BigInt(row.m);
        },
        close: () => db.close(),
      };
    },
  },
  {
    name: 'PostgreSQL through Prisma 7 (PrismaLeafStore, @prisma/adapter-pg)',
    key: 'prisma',
    async open() {
      const db = await freshPostgres('cluster_kill_prisma');
      await db.query(createTableSql('postgres'));
      const client = join(generatePrismaClient('sql-exec-kill', 'postgresql', PRISMA_MODELS), 'client.ts');
      return {
        node: { store: { kind: 'prisma', client, ...POSTGRES, database: db.name } },
        // The generated client is TypeScript: the nodes load it through the test suite's loader.
        execArgv: ['--import', join(ROOT, 'test', 'support', 'ts-register.mjs')],
        maxId: async (tag) => {
          const [row] = await db.query<{ m: string }>('SELECT max_id::text AS m FROM leaf_alloc WHERE biz_tag = $1', [
            tag,
          ]);
          return row === undefined ? undefined : BigInt(row.m);
        },
        close: () => db.close(),
      };
    },
  },
  {
    name: 'MariaDB through the ID server',
    key: 'server',
    async open() {
      const db = await freshDatabase('cluster_kill_server');
      const token = randomBytes(32).toString('base64url');
      let server: IdServerApp<LeafStore> | undefined;
      try {
        // The server is never killed, its clients are. It declares a tag of its own: declaring theirs would have it
        // reserve a segment of each for itself at boot, a hole in the table that no node reported.
        server = await startIdServer({
          database: db.name,
          platform: 'fastify',
          leaf: { bizTags: ['server_boot'] },
          server: { clients: [{ name: 'cluster-kill nodes', token, tags: [...TAGS, ...RUNWAY_TAGS] }] },
          wrapStore: (store) => store,
        });
        // The rows an operator inserts: the nodes' client is no admin, so their createMissingTags may not create them.
        for (const tag of [...TAGS, ...RUNWAY_TAGS])
          await server.store.insertTag({ bizTag: tag, maxId: 1n, step: STEP, description: null });
      } catch (error) {
        await server?.close();
        await db.close();
        throw error;
      }
      const running = server;
      return {
        node: { store: { kind: 'http', baseUrl: running.url, token } },
        maxId: (tag) => db.maxId(tag),
        close: () => running.close().finally(() => db.close()),
      };
    },
  },
]);

describe.each(STORES)('many nodes, killed at random, on $name', (backend) => {
  let store: KillStore | undefined;
  const clusters: Cluster[] = [];
  let passed = 0;

  /** Nodes on the suite's store, with the same loops. */
  const newCluster = (leaf: NodeConfig['leaf']) => {
    const cluster = new Cluster(
      { ...store!.node, logger: ['error', 'warn'], leaf, loopsPerTag: LOOPS_PER_TAG, maxBatch: MAX_BATCH },
      store!.execArgv,
    );
    clusters.push(cluster);
    return cluster;
  };

  beforeAll(async () => {
    buildNodeScript();
    store = await backend.open();
  });

  afterAll(async () => {
    const keep = passed < clusters.length;
    for (const cluster of clusters) await cluster.dispose({ keepRecords: keep });
    await store?.close(!keep);
  });

  it(
    `never issues an ID twice, and a SIGKILL costs at most ${2 * STEP} IDs (2 segments) per tag`,
    async () => {
      const began = Date.now();
      const cluster = newCluster({ bizTags: TAGS, step: STEP, dynamicStep: false, threshold: THRESHOLD });
      cluster.start(NODES);
      await cluster.allReady(30_000);
      const killsEnd = Date.now() + SECONDS * 1000;
      let kills = 0;
      while (Date.now() < killsEnd) {
        await sleep(100 + Math.random() * 1400);
        cluster.check();
        // Now and then two at once, so restarts overlap and several nodes boot while others reserve.
        const live = [...cluster.live].sort(() => Math.random() - 0.5);
        for (const victim of live.slice(0, Math.random() < 0.2 ? 2 : 1)) {
          cluster.killAndRestart(victim);
          kills++;
        }
      }
      // The last restarts serve for a while, then every node stops gracefully and gives back what it can.
      await cluster.allReady(30_000);
      await sleep(500);
      await cluster.stopAll(20_000);

      const result = account(cluster.incarnations, TAGS, STEP, await finalMaxIds(TAGS));
      const stops = cluster.incarnations.filter((node) => node.fate === 'stopped').length;
      process.stdout.write(
        summary(result, {
          store: backend.name,
          kills,
          stops,
          incarnations: cluster.incarnations.length,
          ms: Date.now() - began,
        }),
      );

      expect(result.problems.slice(0, 10)).toEqual([]);
      expect(kills).toBeGreaterThan(0);
      expect(stops).toBe(NODES);
      for (const tag of result.tags) {
        expect({ tag: tag.tag, duplicates: tag.duplicates }).toEqual({ tag: tag.tag, duplicates: [] });
        expect(tag.issued).toBeGreaterThan(0);
        expect(tag.killGaps).toHaveLength(kills);
        expect(tag.stopGaps).toHaveLength(NODES);
      }
      const outside = (bound: (gap: number) => boolean) =>
        result.tags.flatMap((t) =>
          [...t.killGaps, ...t.stopGaps].filter((g) => !bound(g.gap)).map((g) => ({ tag: t.tag, ...g })),
        );
      expect(outside((gap) => gap >= 0 && gap <= 2 * STEP)).toEqual([]);
      passed++;
    },
    (SECONDS + 90) * 1000,
  );

  it(
    `with a ${RUNWAY_MS / 1000} s runway, a SIGKILL costs what the node held: at most two segments per tag`,
    async () => {
      const cluster = newCluster({ bizTags: RUNWAY_TAGS, step: STEP, threshold: THRESHOLD, runwayMs: RUNWAY_MS });
      cluster.start(1);
      await cluster.allReady(30_000);
      for (let kill = 0; kill < RUNWAY_KILLS; kill++) {
        // Long enough for the node to measure its rate (one-second windows) and size a standby to the runway.
        await sleep(3000 + Math.random() * 2000);
        cluster.check();
        cluster.killAndRestart(cluster.live[0]);
        await cluster.allReady(30_000);
      }
      await sleep(3000);
      await cluster.stopAll(20_000);

      const result = account(cluster.incarnations, RUNWAY_TAGS, null, await finalMaxIds(RUNWAY_TAGS));
      process.stdout.write(runwaySummary(result, backend.name, cluster));

      expect(result.problems.slice(0, 10)).toEqual([]);
      for (const tag of result.tags) {
        expect({ tag: tag.tag, duplicates: tag.duplicates }).toEqual({ tag: tag.tag, duplicates: [] });
        expect(tag.killGaps).toHaveLength(RUNWAY_KILLS);
        // A dual buffer holds the current segment's rest and one standby, or a reservation in flight instead.
        const beyondTwo = tag.killGaps.filter((g) => g.gap < 0 || g.gap > g.lastTwoRanges + g.lostInFlight);
        expect({ tag: tag.tag, beyondTwo }).toEqual({ tag: tag.tag, beyondTwo: [] });
        // The runway is what made the segments large: without it a kill here loses at most 2 × STEP.
        expect(Math.max(...tag.killGaps.map((g) => g.gap))).toBeGreaterThan(2 * STEP);
        // Alone, the last node's graceful stop gives back everything it held, from its newest segment.
        expect(tag.stopGaps.map((g) => g.gap)).toEqual([0]);
      }
      passed++;
    },
    (RUNWAY_KILLS * 5 + 60) * 1000,
  );

  async function finalMaxIds(tags: readonly string[]): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (const tag of tags) ids.set(tag, Number(await store!.maxId(tag)));
    return ids;
  }
});

/** Per tag: each kill's gap in IDs, in seconds of the node's own traffic, and in runways. */
function runwaySummary(result: Accounting, store: string, cluster: Cluster): string {
  const lines = [
    '',
    `cluster-kill runway on ${store}: 1 node, ${RUNWAY_KILLS} kills, runway ${RUNWAY_MS / 1000} s, base step ${STEP}`,
    "  tag        issued   kill gaps: IDs = seconds of the node's traffic (runways)",
  ];
  for (const tag of result.tags) {
    const gaps = tag.killGaps.map((g) => {
      const node = cluster.incarnations[g.node];
      const perSecond = g.issued / ((node.signalledAt! - g.servingSince) / 1000);
      const seconds = g.gap / perSecond;
      return `${g.gap} = ${seconds.toFixed(0)} s (${(seconds / (RUNWAY_MS / 1000)).toFixed(2)})`;
    });
    lines.push(`  ${tag.tag.padEnd(8)} ${String(tag.issued).padStart(8)}   ${gaps.join(', ')}`);
  }
  return `${lines.join('\n')}\n\n`;
}

function summary(
  result: Accounting,
  run: { store: string; kills: number; stops: number; incarnations: number; ms: number },
): string {
  const issued = result.tags.reduce((n, t) => n + t.issued, 0);
  const failed = result.tags.reduce((n, t) => n + t.failedReservations, 0);
  const segments = (ids: number) => (ids / STEP).toFixed(2);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
  const rows = result.tags.map((t) => {
    const killGaps = t.killGaps.map((g) => g.gap);
    // A node's share of the tag's traffic: what one kill's gap is worth in seconds of that node's calls.
    const perNodePerSecond = t.issued / (run.ms / 1000) / NODES;
    const worst = Math.max(0, ...killGaps);
    return [
      t.tag.padEnd(8),
      String(t.issued).padStart(10),
      String(t.reservations).padStart(7),
      String(t.duplicates.length).padStart(5),
      String(t.lostInFlight).padStart(12),
      `${segments(worst)} / ${segments(mean(killGaps))}`.padStart(18),
      `${worst} IDs = ${(worst / perNodePerSecond).toFixed(2)} s`.padStart(24),
      segments(t.stopGaps.reduce((n, g) => n + g.gap, 0)).padStart(10),
      String(t.givenBack).padStart(11),
    ].join(' ');
  });
  return [
    '',
    `cluster-kill on ${run.store}: ${NODES} nodes, ${SECONDS} s of kills, step ${STEP}, ${(run.ms / 1000).toFixed(1)} s in all`,
    `  ${issued} IDs issued by ${run.incarnations} incarnations; ${run.kills} kills (${run.kills} restarts), ${run.stops} graceful stops, ${failed} failed reservations`,
    '  tag          issued  ranges  dups  lost ranges   kill gap max/mean   worst kill gap (traffic)  stop gaps  given back',
    '                                                         (segments)    (of one node)             (segments)       (IDs)',
    ...rows.map((row) => `  ${row}`),
    '',
  ].join('\n');
}
