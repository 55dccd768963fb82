import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { LeafStore } from 'nest-leaf';
import { sleep } from './support/assertions.js';
import { startIdServer, type IdServerApp } from '../support/leaf-server.js';
import { freshDatabase } from '../support/mariadb.js';
import { freshRedisKeys } from '../support/redis.js';
import { account, type Accounting } from './support/cluster-accounting.js';
import { buildNodeScript, Cluster, type NodeConfig } from './support/cluster.js';
import { selectStores } from './support/stores.js';

/**
 * Many nodes, killed at random: NODES processes, each a Nest application context with its own DataSource or
 * Redis client, or an HttpLeafStore reserving through an ID server (test/support/cluster-node.ts), issue IDs of
 * three tags from many loops while the test SIGKILLs random ones at random times and starts a new process in
 * their place. At the end every node stops gracefully.
 * Every node records each reservation and each issued ID before using it; test/support/cluster-accounting.ts
 * checks the records against each other and against the store's final `max_id`. The same run, on each store.
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

/** Where the nodes reserve, made afresh for the run: what each node's configuration says about it, and the end state. */
interface KillStore {
  readonly node: Pick<NodeConfig, 'database' | 'connection' | 'store'>;
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
          server: { clients: [{ name: 'cluster-kill nodes', token, tags: TAGS }] },
          wrapStore: (store) => store,
        });
        // The rows an operator inserts: the nodes' client is no admin, so their createMissingTags may not create them.
        for (const tag of TAGS) await server.store.insertTag({ bizTag: tag, maxId: 1n, step: STEP, description: null });
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
  let cluster: Cluster | undefined;
  let passed = false;

  beforeAll(async () => {
    buildNodeScript();
    store = await backend.open();
    cluster = new Cluster({
      ...store.node,
      logger: ['error', 'warn'],
      leaf: { bizTags: TAGS, step: STEP, dynamicStep: false, threshold: THRESHOLD },
      loopsPerTag: LOOPS_PER_TAG,
      maxBatch: MAX_BATCH,
    });
  });

  afterAll(async () => {
    await cluster?.dispose({ keepRecords: !passed });
    await store?.close(passed);
  });

  it(
    `never issues an ID twice, and a SIGKILL costs at most ${2 * STEP} IDs (2 segments) per tag`,
    async () => {
      const began = Date.now();
      cluster!.start(NODES);
      await cluster!.allReady(30_000);
      const killsEnd = Date.now() + SECONDS * 1000;
      let kills = 0;
      while (Date.now() < killsEnd) {
        await sleep(100 + Math.random() * 1400);
        cluster!.check();
        // Now and then two at once, so restarts overlap and several nodes boot while others reserve.
        const live = [...cluster!.live].sort(() => Math.random() - 0.5);
        for (const victim of live.slice(0, Math.random() < 0.2 ? 2 : 1)) {
          cluster!.killAndRestart(victim);
          kills++;
        }
      }
      // The last restarts serve for a while, then every node stops gracefully and gives back what it can.
      await cluster!.allReady(30_000);
      await sleep(500);
      await cluster!.stopAll(20_000);

      const finalMaxIds = new Map<string, number>();
      for (const tag of TAGS) finalMaxIds.set(tag, Number(await store!.maxId(tag)));
      const result = account(cluster!.incarnations, TAGS, STEP, finalMaxIds);
      const stops = cluster!.incarnations.filter((node) => node.fate === 'stopped').length;
      process.stdout.write(
        summary(result, {
          store: backend.name,
          kills,
          stops,
          incarnations: cluster!.incarnations.length,
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
      passed = true;
    },
    (SECONDS + 90) * 1000,
  );
});

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
