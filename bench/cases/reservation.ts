import { startProxyProcess } from '../../harness/fault-proxy-process.js';
import { MYSQL, type Server } from '../../harness/mariadb.js';
import { REDIS } from '../../harness/redis.js';
import type { BenchCase } from '../case.js';
import { measureRtt } from '../measure/far-database.js';
import { ReservationBench, type ReservationResult, type ReservationSettings } from '../measure/reservation.js';
import { freshBenchDatabase, RUN_ID } from '../support/databases.js';
import { judge, perRound, type Goal, type Ratio } from '../support/ratio.js';
import { figureColumns, formatCount, formatMs, renderTable } from '../support/table.js';

export interface ReservationCaseResult {
  readonly loopback: ReservationResult[];
  readonly far: ReservationResult[];
  /** Round trip through the proxy, measured. */
  readonly farRttMs: number;
}

/**
 * 3. What one segment reservation costs, per method: loopback (the SQL methods, and RedisLeafStore on the machine's
 * Redis), then 60-odd ms away through the fault proxy (SQL only).
 */
export const reservation: BenchCase<ReservationCaseResult> = {
  name: 'reservation',

  async run({ settings, progress }) {
    const measure = async (
      label: string,
      s: ReservationSettings,
      database: string,
      server: Server = MYSQL,
      redisKeyPrefix?: string,
    ) => {
      const bench = new ReservationBench(s, database, server, redisKeyPrefix);
      try {
        await bench.init();
        if (bench.redisPersistence !== undefined) {
          progress(
            `${label}: RedisLeafStore on ${REDIS.host}:${REDIS.port}, persistence ${bench.redisPersistence} (MariaDB fsyncs each commit)`,
          );
        }
        return await bench.run((line) => progress(`${label}: ${line}`));
      } finally {
        await bench.close();
      }
    };
    progress(`reservation (loopback): ${settings.reservation.step}-ID segments, one row per method, Redis included`);
    const loopback = await measure(
      'loopback',
      settings.reservation,
      await freshBenchDatabase('reservation'),
      MYSQL,
      `leaf_bench:${RUN_ID}:reservation:`,
    );

    const far = settings.reservationFar;
    const database = await freshBenchDatabase('reservation_far');
    const proxy = await startProxyProcess(MYSQL, far.latencyMsEachWay);
    try {
      const farRttMs = await measureRtt(database, proxy);
      progress(
        `reservation (through the proxy, ${far.latencyMsEachWay} ms each way, ${farRttMs.toFixed(1)} ms RTT): ${far.step}-ID segments`,
      );
      return { loopback, far: await measure('far', far, database, proxy), farRttMs };
    } finally {
      await proxy.close();
    }
  },

  ratios(r) {
    return {
      ...ratios(r.loopback, '', ', loopback'),
      ...redisRatios(r.loopback),
      ...ratios(r.far, 'Rtt62', `, ${formatRtt(r.farRttMs)} RTT`, { atLeast: 3.5 }),
    };
  },

  table(r, { reservation: s, reservationFar: f }) {
    return [
      `3a. Reserving one segment of ${s.step} IDs, loopback: ${s.sequentialPerMethod} sequential each, then ${s.concurrency} concurrent for ${s.rounds} x ${s.concurrentRoundMs} ms` +
        ' (SQL: one connection per reserver; Redis: one ioredis client, its commands pipelined)',
      table(r.loopback, s),
      '',
      `3b. The same through the fault proxy, ${f.latencyMsEachWay} ms each way (${formatRtt(r.farRttMs)} RTT, measured): ${f.sequentialPerMethod} sequential each, then ${f.concurrency} concurrent for ${f.rounds} x ${f.concurrentRoundMs} ms`,
      table(r.far, f),
    ].join('\n');
  },

  json(r, settings) {
    return [
      ...json(r.loopback, 'reserve', '', settings.reservation),
      ...json(r.far, 'reserveRtt62', `, ${formatRtt(r.farRttMs)} RTT`, settings.reservationFar),
    ];
  },
};

function formatRtt(ms: number | undefined): string {
  return ms === undefined ? 'n/a' : `${ms.toFixed(0)} ms`;
}

function ratios(
  rs: ReservationResult[],
  suffix: string,
  label: string,
  goal?: Omit<Goal, 'met'>,
): Record<string, Ratio> {
  const by = Object.fromEntries(rs.map((x) => [x.key, x])) as Record<ReservationResult['key'], ReservationResult>;
  const c = by.single.concurrent.workers;
  return {
    [`leafTxVsSingleStatementLatencyP50${suffix}`]: judge(
      'reservation',
      `Leaf tx p50 / single statement p50, 1 reserver${label}`,
      perRound(by.leafTx.sequential.roundsP50Ms, by.single.sequential.roundsP50Ms),
      goal,
    ),
    [`leafTxVsSingleStatementLatencyP50Concurrent${suffix}`]: judge(
      'reservation',
      `Leaf tx p50 / single statement p50, ${c} reservers${label}`,
      perRound(by.leafTx.concurrent.roundsP50Ms, by.single.concurrent.roundsP50Ms),
      goal,
    ),
    [`singleStatementVsLeafTxConcurrent${suffix}`]: judge(
      'reservation',
      `single statement / Leaf tx, reservations/s at ${c} concurrent${label}`,
      perRound(by.single.concurrent.roundsPerSec, by.leafTx.concurrent.roundsPerSec),
    ),
  };
}

/** RedisLeafStore.reserve against TypeOrmLeafStore.reserve (single statement), loopback, same run: no goal. */
function redisRatios(rs: ReservationResult[]): Record<string, Ratio> {
  const redis = rs.find((x) => x.key === 'redis');
  const single = rs.find((x) => x.key === 'single');
  if (redis === undefined || single === undefined) return {};
  const c = redis.concurrent.workers;
  const vs = 'RedisLeafStore / TypeOrmLeafStore single statement';
  return {
    redisVsSingleStatementLatencyP50: judge(
      'reservation',
      `${vs}, p50, 1 reserver, loopback`,
      perRound(redis.sequential.roundsP50Ms, single.sequential.roundsP50Ms),
    ),
    redisVsSingleStatementLatencyP99: judge('reservation', `${vs}, p99, 1 reserver, loopback`, [
      redis.sequential.p99Ms / single.sequential.p99Ms,
    ]),
    redisVsSingleStatementLatencyP50Concurrent: judge(
      'reservation',
      `${vs}, p50, ${c} reservers, loopback`,
      perRound(redis.concurrent.roundsP50Ms, single.concurrent.roundsP50Ms),
    ),
    redisVsSingleStatementLatencyP99Concurrent: judge('reservation', `${vs}, p99, ${c} reservers, loopback`, [
      redis.concurrent.latency.p99Ms / single.concurrent.latency.p99Ms,
    ]),
    redisVsSingleStatementConcurrent: judge(
      'reservation',
      `${vs}, reservations/s at ${c} concurrent, loopback`,
      perRound(redis.concurrent.roundsPerSec, single.concurrent.roundsPerSec),
    ),
  };
}

function table(rs: ReservationResult[], s: ReservationSettings): string {
  return renderTable(
    figureColumns(
      'reservation',
      'round trips',
      'p50 ms',
      'p99 ms',
      'mean ms',
      'sequential/s',
      `${s.concurrency} concurrent/s`,
      `p50 / p99 ms at ${s.concurrency}`,
    ),
    rs.map((r) => [
      r.name,
      String(r.roundTrips),
      formatMs(r.sequential.p50Ms),
      formatMs(r.sequential.p99Ms),
      formatMs(r.sequential.meanMs),
      formatCount(r.sequential.reservationsPerSec),
      formatCount(r.concurrent.reservationsPerSec),
      `${formatMs(r.concurrent.latency.p50Ms)} / ${formatMs(r.concurrent.latency.p99Ms)}`,
    ]),
  );
}

function json(rs: ReservationResult[], prefix: string, label: string, s: ReservationSettings): object[] {
  return rs.flatMap((r) => [
    {
      key: `${prefix}.${r.key}.sequential`,
      name: `reserve ${s.step} IDs: ${r.name}, sequential${label}`,
      // IDs/s that this path could reserve at this step, so every case shares one unit.
      idsPerSec: r.sequential.reservationsPerSec * s.step,
      step: s.step,
      roundTrips: r.roundTrips,
      ...r.sequential,
    },
    {
      key: `${prefix}.${r.key}.concurrent`,
      name: `reserve ${s.step} IDs: ${r.name}, ${r.concurrent.workers} concurrent${label}`,
      idsPerSec: r.concurrent.reservationsPerSec * s.step,
      step: s.step,
      roundTrips: r.roundTrips,
      workers: r.concurrent.workers,
      reservationsPerSec: r.concurrent.reservationsPerSec,
      roundsReservationsPerSec: r.concurrent.roundsPerSec,
      roundsP50Ms: r.concurrent.roundsP50Ms,
      ...r.concurrent.latency,
    },
  ]);
}
