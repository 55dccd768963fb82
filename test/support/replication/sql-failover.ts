import { DataSource, type DataSourceOptions } from 'typeorm';
import type { LeafStore } from 'nest-leaf';
import { LeafAllocMigration, TypeOrmLeafStore, type TypeOrmLeafStoreOptions } from 'nest-leaf/typeorm';
import { FaultProxy } from '../../../harness/fault-proxy.js';
import type { Endpoint, FailoverPair } from './common.js';
import { FailoverFleet } from './failover-fleet.js';
import { PrivateMariaDbPair } from './mariadb-pair.js';
import { PrivatePgPair } from './pg-pair.js';

export type SqlFailoverEngine = 'postgres' | 'mariadb';

/** TypeORM options for `endpoint` (an address, or the front proxy's), short connect timeouts. */
export function dataSourceOptions(engine: SqlFailoverEngine, endpoint: Endpoint): DataSourceOptions {
  const { host, port, user, password, database } = endpoint;
  return engine === 'postgres'
    ? { type: 'postgres', host, port, username: user, password, database, extra: { connectionTimeoutMillis: 2000 } }
    : {
        type: 'mysql',
        host,
        port,
        username: user,
        password,
        database,
        supportBigNumbers: true,
        bigNumberStrings: true,
        connectTimeout: 2000,
      };
}

/**
 * A PostgreSQL primary and its asynchronous streaming replica (`PrivatePgPair`), or a MariaDB primary and its GTID
 * replica (`PrivateMariaDbPair`), with nodes (generators on `TypeOrmLeafStore`s, each on a DataSource of its own)
 * reaching it through one address (`front`, a `FaultProxy` standing for a virtual IP) that `failOver()` moves to the
 * promoted replica; the pools open new connections there. The failover loses writes as a real one does: the
 * replication link is cut (`cut()`) while the nodes reserve, then `failOver()` kills the primary (SIGKILL), promotes
 * the replica and moves the address.
 */
export class SqlFailover extends FailoverFleet<TypeOrmLeafStoreOptions> {
  private readonly dataSources: DataSource[] = [];
  /** Ms from the kill to the promoted replica taking writes. */
  readonly timings: { promotedMs?: number } = {};
  /** `max_id` per tag: on the replica once cut, on the primary just before the kill. */
  readonly replicaMaxIds = new Map<string, bigint>();
  readonly primaryMaxIds = new Map<string, bigint>();

  private constructor(
    readonly engine: SqlFailoverEngine,
    readonly pair: FailoverPair<unknown> & { query(role: 'primary' | 'replica', sql: string): Promise<unknown[]> },
    readonly front: FaultProxy,
  ) {
    super();
  }

  /** The pair, streaming, with `leaf_alloc` made on the primary by the shipped migration (and so on the replica). */
  static async start(engine: SqlFailoverEngine): Promise<SqlFailover> {
    const pair = engine === 'postgres' ? await PrivatePgPair.start() : await PrivateMariaDbPair.start();
    const primary = pair.endpoint('primary');
    const front = await FaultProxy.start({ target: { host: primary.host, port: primary.port } });
    const run = new SqlFailover(engine, pair, front);
    const options = { ...dataSourceOptions(engine, primary), migrations: [LeafAllocMigration], migrationsRun: true };
    await (await new DataSource(options as DataSourceOptions).initialize()).destroy();
    return run;
  }

  protected async storeFor(storeOptions: TypeOrmLeafStoreOptions): Promise<LeafStore> {
    const endpoint = { ...this.pair.endpoint('primary'), host: this.front.host, port: this.front.port };
    const dataSource = await new DataSource(dataSourceOptions(this.engine, endpoint)).initialize();
    this.dataSources.push(dataSource);
    return new TypeOrmLeafStore(dataSource, storeOptions);
  }

  /** Cuts the replication link; from now on the primary's writes are the ones a failover loses. */
  async cut(tags: readonly string[]): Promise<void> {
    await this.pair.cutReplication();
    for (const tag of tags) this.replicaMaxIds.set(tag, await this.maxId('replica', tag));
  }

  /** Kills the primary, promotes the replica, and moves the nodes' address to it. */
  async failOver(tags: readonly string[]): Promise<void> {
    for (const tag of tags) this.primaryMaxIds.set(tag, await this.maxId('primary', tag));
    const killing = performance.now();
    await this.pair.killPrimary();
    this.killedAt = killing;
    await this.pair.promote();
    this.timings.promotedMs = performance.now() - killing;
    const replica = this.pair.endpoint('replica');
    this.front.retarget({ host: replica.host, port: replica.port });
  }

  /** `max_id` of a tag on one server (0n when it has no row). */
  async maxId(role: 'primary' | 'replica', tag: string): Promise<bigint> {
    const cast = this.engine === 'postgres' ? 'max_id::text' : 'CAST(max_id AS CHAR)';
    const rows = (await this.pair.query(
      role,
      `SELECT ${cast} AS m FROM leaf_alloc WHERE biz_tag = '${tag.replace(/'/g, "''")}'`,
    )) as Array<{ m: string }>;
    return rows.length === 0 ? 0n : BigInt(rows[0].m);
  }

  async dispose(): Promise<void> {
    await this.stopAll();
    await Promise.all(this.dataSources.splice(0).map((dataSource) => dataSource.destroy().catch(() => undefined)));
    await this.front.close();
    await this.pair.dispose();
  }
}
