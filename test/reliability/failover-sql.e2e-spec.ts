import { describe, expect, it } from '@jest/globals';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { LeafStore } from 'nest-leaf';
import { LeafAllocMigration, TypeOrmLeafStore, type TypeOrmLeafStoreOptions } from 'nest-leaf/typeorm';
import { sleep } from '../../harness/assertions.js';
import { captureLogs } from '../support/redis.js';
import { duplicatesOf, FailoverFleet } from '../support/replication/failover-fleet.js';
import { PrivateGalera } from '../support/replication/galera.js';
import { itRunsTheFailoverShapes } from '../support/replication/failover-shapes.js';
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
  itRunsTheFailoverShapes<TypeOrmLeafStoreOptions>({
    label: `${engine} `,
    start: () => SqlFailover.start(engine),
    storeOptions: (fencing) => ({ fencing }),
    rounds: ROUNDS,
    timeoutMs: 60_000,
    slowBootMs: 300,
  });
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
