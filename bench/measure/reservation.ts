import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { TypeOrmLeafStore } from 'nest-leaf/typeorm';
import { RedisLeafStore, type RedisPersistence } from 'nest-leaf/redis';
import { mysqlDataSourceOptions, mysqlClientOptions, MYSQL, type Server } from '../../harness/mariadb.js';
import { freshRedisKeys, type RedisKeySpace } from '../../harness/redis.js';
import { summarizeLatency, type LatencySummary, median } from '../support/stats.js';
import { now } from '../support/timing.js';

/** One way of reserving a segment, opened once per concurrent reserver. */
export interface ReservationMethod {
  readonly key: 'single' | 'singleRaw' | 'leafTx' | 'redis';
  readonly name: string;
  readonly tag: string;
  open(): Promise<Reserver>;
}

export interface Reserver {
  /** Reserves one segment and returns its new max_id. */
  reserve(): Promise<bigint>;
  close(): void;
}

export interface ReservationSettings {
  readonly step: number;
  readonly concurrency: number;
  readonly sequentialPerMethod: number;
  readonly warmupPerMethod: number;
  readonly rounds: number;
  readonly concurrentRoundMs: number;
}

export interface ReservationResult {
  readonly key: ReservationMethod['key'];
  readonly name: string;
  readonly roundTrips: number;
  readonly sequential: LatencySummary & { readonly reservationsPerSec: number; readonly roundsP50Ms: number[] };
  readonly concurrent: {
    readonly workers: number;
    readonly reservationsPerSec: number;
    readonly roundsPerSec: number[];
    /** p50 latency of each round, so the latency ratio at this concurrency pairs rounds too. */
    readonly roundsP50Ms: number[];
    readonly latency: LatencySummary;
  };
}

/**
 * Copy of the library's MySQL statement (`mysqlDialect.reserveSql`, not exported), run on a bare mysql2
 * connection so the cost of TypeORM's QueryRunner around it shows separately.
 */
const SINGLE_STATEMENT =
  'UPDATE leaf_alloc SET max_id = LAST_INSERT_ID(max_id + ?), update_time = CURRENT_TIMESTAMP ' +
  'WHERE biz_tag = ? AND max_id <= 9223372036854775807 - ?';

const ROUND_TRIPS: Record<ReservationMethod['key'], number> = { single: 1, singleRaw: 1, leafTx: 4, redis: 1 };

/** The Redis method's tag, a hash under the run's own key prefix. */
const REDIS_TAG = 'res_redis';

export class ReservationBench {
  private readonly pool: mysql.Pool;
  private readonly dataSource: DataSource;
  private readonly methods: ReservationMethod[];
  private redis: { readonly client: Redis; readonly store: RedisLeafStore; readonly keys: RedisKeySpace } | undefined;
  /** How the Redis method's server keeps what it is told (`none`, `aof-always`, ...), once `init()` has run. */
  redisPersistence: RedisPersistence | undefined;

  /**
   * `server` is MariaDB itself, or the fault proxy in front of it: every connection of every method goes
   * through it, so each round trip pays its latency. With `redisKeyPrefix`, `init()` adds RedisLeafStore on the
   * machine's Redis (harness/redis.ts) under that prefix as a fourth method, never through the proxy.
   */
  constructor(
    private readonly settings: ReservationSettings,
    database: string,
    server: Server = MYSQL,
    private readonly redisKeyPrefix?: string,
  ) {
    const { step, concurrency } = settings;
    // Every pool holds a connection per concurrent reserver, so the pool size never is the bottleneck.
    this.pool = mysql.createPool({ ...mysqlClientOptions(database, server), connectionLimit: concurrency });
    this.dataSource = new DataSource({
      ...mysqlDataSourceOptions(database, server),
      extra: { connectionLimit: concurrency },
    });
    const store = new TypeOrmLeafStore(this.dataSource);
    const pool = this.pool;

    this.methods = [
      {
        key: 'single',
        name: 'single statement, TypeOrmLeafStore.reserve',
        tag: 'res_single',
        async open() {
          return { reserve: async () => (await store.reserve('res_single', step)).end, close: () => {} };
        },
      },
      {
        key: 'singleRaw',
        name: 'single statement, raw mysql2',
        tag: 'res_single_raw',
        async open() {
          const conn = await pool.getConnection();
          return {
            async reserve() {
              const [header] = await conn.query<mysql.ResultSetHeader>(SINGLE_STATEMENT, [
                step,
                'res_single_raw',
                step,
              ]);
              if (header.affectedRows !== 1) throw new Error('res_single_raw: no row updated');
              return BigInt(header.insertId);
            },
            close: () => conn.release(),
          };
        },
      },
      {
        key: 'leafTx',
        name: "Leaf's BEGIN/UPDATE/SELECT/COMMIT",
        tag: 'res_leaf_tx',
        async open() {
          const conn = await pool.getConnection();
          return {
            async reserve() {
              await conn.query('BEGIN');
              try {
                await conn.query('UPDATE leaf_alloc SET max_id = max_id + ? WHERE biz_tag = ?', [step, 'res_leaf_tx']);
                const [rows] = await conn.query<mysql.RowDataPacket[]>(
                  'SELECT biz_tag, max_id, step FROM leaf_alloc WHERE biz_tag = ?',
                  ['res_leaf_tx'],
                );
                await conn.query('COMMIT');
                return BigInt(rows[0].max_id as string);
              } catch (error) {
                await conn.query('ROLLBACK').catch(() => undefined);
                throw error;
              }
            },
            close: () => conn.release(),
          };
        },
      },
    ];
  }

  async init(): Promise<void> {
    await this.dataSource.initialize();
    const rows = this.methods.map((m) => [m.tag, 1, this.settings.step, 'bench reservation']);
    await this.pool.query('INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ?', [rows]);
    if (this.redisKeyPrefix !== undefined) await this.addRedis(this.redisKeyPrefix);
    // Open every connection of both pools now: through the proxy a new connection costs several round trips,
    // which must not land in a timed round.
    const { concurrency } = this.settings;
    await Promise.all(Array.from({ length: concurrency }, () => this.dataSource.query('SELECT 1')));
    const conns = await Promise.all(Array.from({ length: concurrency }, () => this.pool.getConnection()));
    for (const conn of conns) conn.release();
  }

  async run(progress: (line: string) => void): Promise<ReservationResult[]> {
    const { concurrency, sequentialPerMethod, warmupPerMethod, rounds, concurrentRoundMs } = this.settings;
    // samples[method][round]: the rounds are kept apart so ratios can pair methods measured seconds apart.
    const samples = new Map(this.methods.map((m) => [m.key, [] as number[][]]));
    const reservers = await Promise.all(this.methods.map((m) => m.open()));

    progress(`reservation latency: ${sequentialPerMethod} sequential reservations per method, interleaved`);
    for (const reserver of reservers) for (let i = 0; i < warmupPerMethod; i++) await reserver.reserve();
    // Interleaved chunks, so a burst of noise on the shared machine lands on every method alike.
    const chunk = Math.ceil(sequentialPerMethod / rounds);
    for (let round = 0; round < rounds; round++) {
      for (const [i, method] of this.methods.entries()) {
        const out: number[] = [];
        samples.get(method.key)!.push(out);
        await timeSequential(reservers[i], Math.min(chunk, sequentialPerMethod - round * chunk), out);
      }
    }
    for (const reserver of reservers) reserver.close();

    progress(
      `reservation throughput: ${concurrency} concurrent reservers, ${rounds} x ${concurrentRoundMs} ms per method`,
    );
    const concurrentRates = new Map(this.methods.map((m) => [m.key, [] as number[]]));
    const concurrentLatency = new Map(this.methods.map((m) => [m.key, [] as number[][]]));
    for (let round = 0; round < rounds; round++) {
      for (const method of this.methods) {
        const { perSec, latencies } = await timeConcurrent(method, concurrency, concurrentRoundMs);
        concurrentRates.get(method.key)!.push(perSec);
        concurrentLatency.get(method.key)!.push(latencies);
      }
    }

    return this.methods.map((method) => {
      const byRound = samples.get(method.key)!;
      const sequential = summarizeLatency(byRound.flat());
      return {
        key: method.key,
        name: method.name,
        roundTrips: ROUND_TRIPS[method.key],
        sequential: {
          ...sequential,
          reservationsPerSec: 1000 / sequential.meanMs,
          roundsP50Ms: byRound.map((round) => summarizeLatency(round).p50Ms),
        },
        concurrent: {
          workers: concurrency,
          reservationsPerSec: median(concurrentRates.get(method.key)!),
          roundsPerSec: concurrentRates.get(method.key)!,
          roundsP50Ms: concurrentLatency.get(method.key)!.map((round) => summarizeLatency(round).p50Ms),
          latency: summarizeLatency(concurrentLatency.get(method.key)!.flat()),
        },
      };
    });
  }

  async close(): Promise<void> {
    await this.dataSource.destroy();
    await this.pool.end();
    if (this.redis) {
      await this.redis.client.quit();
      await this.redis.keys.close();
    }
  }

  /**
   * `RedisLeafStore.reserve` (one script, one round trip) over one ioredis client with its defaults, as an app
   * has: the 32 concurrent reservers share its connection, their commands pipelined on it.
   */
  private async addRedis(keyPrefix: string): Promise<void> {
    const keys = await freshRedisKeys(keyPrefix);
    const client = new Redis({ host: keys.target.host, port: keys.target.port });
    const store = new RedisLeafStore(client, { keyPrefix });
    this.redis = { client, store, keys };
    const { step } = this.settings;
    await store.insertTag({ bizTag: REDIS_TAG, maxId: 1n, step, description: 'bench reservation' });
    // The first command loads the scripts (EVAL) and reads the server's durability settings: not a timed round's cost.
    // The store logs what a crash would cost through Nest's Logger, to stdout, which the bench keeps for its tables:
    // silenced here (this case runs in a process of its own), and shown in the row's name and the progress instead.
    Logger.overrideLogger(false);
    this.redisPersistence = (await store.checkDurability()).persistence;
    this.methods.push({
      key: 'redis',
      name: `Redis script, RedisLeafStore.reserve (persistence: ${this.redisPersistence})`,
      tag: REDIS_TAG,
      async open() {
        return { reserve: async () => (await store.reserve(REDIS_TAG, step)).end, close: () => {} };
      },
    });
  }
}

async function timeSequential(reserver: Reserver, count: number, out: number[]): Promise<void> {
  let previous = 0n;
  for (let i = 0; i < count; i++) {
    const t0 = now();
    const maxId = await reserver.reserve();
    out.push(now() - t0);
    if (maxId <= previous) throw new Error(`reservation returned max_id ${maxId} after ${previous}`);
    previous = maxId;
  }
}

async function timeConcurrent(
  method: ReservationMethod,
  workers: number,
  durationMs: number,
): Promise<{ perSec: number; latencies: number[] }> {
  const reservers = await Promise.all(Array.from({ length: workers }, () => method.open()));
  const latencies: number[] = [];
  const start = now();
  const deadline = start + durationMs;
  try {
    await Promise.all(
      reservers.map(async (reserver) => {
        while (now() < deadline) {
          const t0 = now();
          await reserver.reserve();
          latencies.push(now() - t0);
        }
      }),
    );
  } finally {
    for (const reserver of reservers) reserver.close();
  }
  return { perSec: latencies.length / ((now() - start) / 1000), latencies };
}
