import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { LeafModuleOptions, LeafStore } from 'nest-leaf';
import { LeafAllocMigration, TypeOrmLeafStore } from 'nest-leaf/typeorm';
import { sleep } from '../../harness/assertions.js';
import { captureLogs } from '../support/redis.js';
import { duplicatesOf, FailoverFleet, type NodeResult } from '../support/replication/failover-fleet.js';
import { PrivateGalera } from '../support/replication/galera.js';
import { failoverReport } from '../support/replication/failover-report.js';
import { dataSourceOptions, SqlFailover, type SqlFailoverEngine } from '../support/replication/sql-failover.js';

/** Failovers per shape and setting: 1 in `npm test`, more in `npm run test:reliability` (LEAF_SQL_FAILOVERS). */
const ROUNDS = Math.max(1, Number(process.env.LEAF_SQL_FAILOVERS ?? 1));
/** The engines: both by default; `LEAF_SQL_FAILOVER_ENGINES=postgres` runs one. */
const ENGINES = (process.env.LEAF_SQL_FAILOVER_ENGINES ?? 'postgres,mariadb').split(',') as SqlFailoverEngine[];

/**
 * A PostgreSQL primary with its asynchronous streaming replica, and a MariaDB primary with its GTID replica, fail over
 * after the replica missed the primary's last reservations: the replication link is cut while nodes reserve, the
 * primary reserves on (the lost window), is killed with SIGKILL, and the replica is promoted; the nodes' address
 * moves to it (a proxy in front, as a virtual IP would) and their pools open new connections there. The three shapes
 * of the Redis test (failover-redis.e2e-spec.ts): (a) a node started after the promotion, (b) only nodes running
 * throughout, at unequal rates, (c) the library's defaults (60 s runway, dynamic step). Every ID of every node is
 * checked: none twice with fencing on (the default); the same run with `fencing: false` hands out IDs twice.
 */
describe.each(ENGINES)('SQL failover (%s): primary killed after the replica missed its last reservations', (engine) => {
  const runs: SqlFailover[] = [];
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((run) => run.dispose()));
    logs.restore();
  });

  /** Fixed small steps, so that the lost window holds many reservations; failoverSkip 10 × maxStep = 100,000. */
  const SMALL: Omit<LeafModuleOptions, 'store' | 'bizTags'> = {
    step: 100,
    dynamicStep: false,
    runwayMs: 0,
    maxStep: 10_000,
    reservationTimeoutMs: 1500,
    retryMaxDelayMs: 300,
  };

  const start = async () => {
    const run = await SqlFailover.start(engine);
    runs.push(run);
    return run;
  };

  const report = (label: string, run: SqlFailover, results: NodeResult[], tags: readonly string[]) =>
    failoverReport(`${engine} ${label}`, run, results, tags, logs.warn);

  /** (a) Nodes reserve through the cut and stop with the primary; a node started after the promotion takes over. */
  const shapeA = async (fencing: boolean) => {
    const run = await start();
    const tags = ['order', 'late'];
    await run.node('A', { ...SMALL, bizTags: ['order'] }, [['order', 3000]], { fencing });
    await run.node('B', { ...SMALL, bizTags: ['order'] }, [['order', 800]], { fencing });
    await sleep(1500);
    await run.cut(tags);
    // L boots during the cut: its tag "late" is created on the primary only, and that creation is lost too.
    const l = await run.node('L', { ...SMALL, bizTags: ['order', 'late'] }, [['late', 500]], { fencing });
    await sleep(1000);
    for (const name of ['A', 'B', 'L']) await run.stopNode(name);
    await run.failOver(tags);
    const loads = [['order', 3000] as const, ['late', 500] as const];
    const c = await run.node('C', { ...SMALL, bizTags: ['order', 'late'] }, loads, { fencing });
    await sleep(1500);
    const results = await run.results();
    const figures = report(
      `(a) node started after the promotion, fencing ${fencing ? 'on' : 'off'}`,
      run,
      results,
      tags,
    );
    expect(l.reservations.ok).toBeGreaterThan(0);
    expect(run.replicaMaxIds.get('late')).toBe(0n); // "late" never reached the replica
    return { ...figures, c, run, results };
  };

  it(
    `(a) a node started after the promotion never repeats an ID, a tag whose creation was lost included (${ROUNDS}x)`,
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { duplicates, fences, c, run, results } = await shapeA(true);
        expect(duplicates).toBe(0);
        expect(fences).toBe(1);
        expect(c.firstAfter.get('order')!.start).toBeGreaterThanOrEqual(run.primaryMaxIds.get('order')!);
        expect(c.firstAfter.get('late')!.start).toBeGreaterThan(run.primaryMaxIds.get('late')!);
        expect(results.find((r) => r.name === 'C')!.failures).toEqual([]);
        await run.dispose();
        logs.warn.length = 0;
      }
    },
    60_000 * ROUNDS,
  );

  it('(a) with fencing off, the node started after the promotion hands out IDs twice', async () => {
    const { duplicates } = await shapeA(false);
    expect(duplicates).toBeGreaterThan(0);
  }, 60_000);

  /** (b) Three nodes at unequal rates run throughout; the slow one last reserved before the cut. */
  const shapeB = async (fencing: boolean) => {
    const run = await start();
    const options = { ...SMALL, step: 200, bizTags: ['order'] };
    await run.node('fast', options, [['order', 4000]], { fencing });
    await run.node('medium', options, [['order', 800]], { fencing });
    await sleep(1500);
    // The slow node boots (its one reservation reaches the replica) and needs no other for ~4 s.
    await run.node('slow', options, [['order', 40]], { fencing });
    await sleep(300);
    await run.cut(['order']);
    await sleep(800);
    await run.failOver(['order']);
    // A batch larger than what the slow node holds: it reserves now, before the others' refusals (fencing off)
    // move max_id past the lost window.
    await run.batch('slow', 'order', 500);
    await sleep(2500);
    const results = await run.results();
    const figures = report(`(b) running nodes at unequal rates, fencing ${fencing ? 'on' : 'off'}`, run, results, [
      'order',
    ]);
    return { ...figures, run };
  };

  it(
    `(b) nodes running throughout, at unequal rates, never repeat an ID and serve through it (${ROUNDS}x)`,
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { duplicates, fences, failures, run } = await shapeB(true);
        expect(duplicates).toBe(0);
        expect(fences).toBe(1); // the first node to reserve fenced; the others found it done
        expect(failures).toEqual([0, 0, 0]);
        expect(run.nodes.find((n) => n.name === 'slow')!.firstAfter.size).toBe(1); // it did reserve afterwards
        await run.dispose();
        logs.warn.length = 0;
      }
    },
    60_000 * ROUNDS,
  );

  it('(b) with fencing off, a running node whose last reservation reached the replica hands out IDs twice', async () => {
    const { duplicates } = await shapeB(false);
    expect(duplicates).toBeGreaterThan(0);
  }, 60_000);

  /** (c) The library's defaults: nodes before the cut, one booting during it, one after the promotion. */
  const shapeC = async (fencing: boolean) => {
    const run = await start();
    const defaults = { bizTags: ['order'] };
    await run.node('A', defaults, [['order', 2000]], { fencing });
    await run.node('B', defaults, [['order', 500]], { fencing });
    await sleep(2000);
    await run.cut(['order']);
    await run.node('X', defaults, [['order', 1000]], { fencing }); // its first segments are lost
    await sleep(1000);
    await run.failOver(['order']);
    await run.node('Y', defaults, [['order', 1000]], { fencing });
    await sleep(2000);
    const results = await run.results();
    return { ...report(`(c) library defaults, fencing ${fencing ? 'on' : 'off'}`, run, results, ['order']), run };
  };

  it(
    `(c) with the library's defaults no ID repeats, and running nodes serve through it from memory (${ROUNDS}x)`,
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { duplicates, failures, run } = await shapeC(true);
        expect(duplicates).toBe(0);
        expect(failures).toEqual([0, 0, 0, 0]);
        await run.dispose();
        logs.warn.length = 0;
      }
    },
    60_000 * ROUNDS,
  );

  it("(c) with the library's defaults and fencing off, a node started after the promotion hands out IDs twice", async () => {
    const { duplicates } = await shapeC(false);
    expect(duplicates).toBeGreaterThan(0);
  }, 60_000);
});

/** Generators on `TypeOrmLeafStore`s, each straight at one node of a Galera cluster. */
class GaleraFleet extends FailoverFleet<{ node: number }> {
  private readonly dataSources: DataSource[] = [];
  readonly timings = {};
  readonly primaryMaxIds = new Map<string, bigint>();
  readonly replicaMaxIds = new Map<string, bigint>();

  constructor(readonly cluster: PrivateGalera) {
    super();
  }

  protected async storeFor({ node }: { node: number }): Promise<LeafStore> {
    const dataSource = await new DataSource(dataSourceOptions('mariadb', this.cluster.endpoint(node))).initialize();
    this.dataSources.push(dataSource);
    return new TypeOrmLeafStore(dataSource);
  }

  async dispose(): Promise<void> {
    await this.stopAll();
    await Promise.all(this.dataSources.splice(0).map((dataSource) => dataSource.destroy().catch(() => undefined)));
  }
}

describe('Galera: writers through different nodes of a synchronous cluster', () => {
  it('3 nodes, 6 generators booting at once through all of them: conflicts retried, no failed boot, 0 duplicates, no fence', async () => {
    const logs = captureLogs();
    const cluster = await PrivateGalera.start();
    const fleet = new GaleraFleet(cluster);
    try {
      const options = { dataSourceOptions: dataSourceOptions('mariadb', cluster.endpoint(0)) };
      const migrate = { ...options.dataSourceOptions, migrations: [LeafAllocMigration], migrationsRun: true };
      await (await new DataSource(migrate as DataSourceOptions).initialize()).destroy();
      const leaf = { step: 100, bizTags: ['order', 'invoice'] }; // the dynamic step, from a small one
      let conflicts = 0;
      const boots = await Promise.allSettled(
        Array.from({ length: 6 }, async (_, i) => {
          const node = await fleet.node(
            `n${i}`,
            leaf,
            [
              ['order', 1500],
              ['invoice', 300],
            ],
            { node: i % 3 },
          );
          node.ids.onReservation((event) => {
            if (!event.ok && /deadlock|1213/i.test(String((event.error as Error)?.message))) conflicts++;
          });
          return node;
        }),
      );
      await sleep(3000);
      const results = await fleet.results();
      const { total, duplicates, perTag } = duplicatesOf(results);
      const failedBoots = boots.filter((boot) => boot.status === 'rejected');
      const fences = logs.warn.filter((line) => line.startsWith('Fenced '));
      const durability = logs.log.find((line) => line.startsWith('MariaDB Galera'));
      process.stdout.write(
        `[failover] galera: ${total} IDs by 6 generators through 3 nodes, ${duplicates} handed out twice ` +
          `${JSON.stringify(perTag)}; ${conflicts} certification conflicts (1213) retried by reservations; ` +
          `${failedBoots.length} failed boots; fences ${fences.length}; failed calls ` +
          `${results.map((r) => r.failures.length).join('/')} ` +
          `${JSON.stringify([...new Set(results.flatMap((r) => r.failures.map((f) => String((f.error as Error)?.message).slice(0, 200))))].slice(0, 3))}; startup line: ${durability}\n`,
      );
      expect(failedBoots).toEqual([]);
      expect(duplicates).toBe(0);
      expect(fences).toEqual([]); // every member names the same cluster: nothing to fence
      expect(results.every((r) => r.failures.length === 0)).toBe(true);
      expect(durability).toMatch(/switch between its members loses no reservation/);
    } finally {
      await fleet.dispose();
      await cluster.dispose();
      logs.restore();
    }
  }, 180_000);
});
