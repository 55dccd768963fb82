import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdGenerator, LeafModule, type LeafTagSnapshot } from '@app/leaf';
import {
  bigintArrayCase,
  bigintCounterCase,
  floorCase,
  nextIdCase,
  nextIdsCase,
  Sink,
  snowflakeCase,
} from './cases/in-process.js';
import { ReservationBench, type ReservationResult } from './cases/reservation.js';
import { BENCH_DATABASE, benchDataSourceOptions, freshBenchDatabase, MYSQL, serverVersion } from './support/mariadb.js';
import { median } from './support/stats.js';
import { formatCount, formatMs, formatRatio, renderTable } from './support/table.js';
import { collectGarbage, timeRound, warmUp, type ThroughputCase } from './support/timing.js';

const WARMUP_MS = 500;
const ROUND_MS = 1500;
const ROUNDS = 3;
const NEXT_ID_TAG = 'bench';
const NEXT_IDS_TAG = 'bench_batch';
/** Leaf's dynamic step grows the segment up to maxStep, so after warm-up the DB is touched every ~1M IDs. */
const LEAF_OPTIONS = { step: 100_000, maxStep: 1_000_000, dynamicStep: true } as const;
const RESERVATION = {
  step: 1000,
  concurrency: 32,
  sequentialPerMethod: 2000,
  warmupPerMethod: 100,
  rounds: ROUNDS,
  concurrentRoundMs: 1000,
} as const;

const RESULTS_FILE = new URL('../../bench/results/latest.json', import.meta.url);

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

interface ThroughputResult {
  readonly name: string;
  readonly idsPerSec: number;
  readonly roundsIdsPerSec: number[];
  readonly batch: number;
  readonly leaf?: LeafActivity;
}

/** What the generator did while a case was timed: how often the database was touched, and whether callers waited. */
interface LeafActivity {
  readonly tag: string;
  readonly reservations: number;
  readonly waits: number;
  readonly idsIssued: number;
  readonly stepAtEnd: number;
}

interface Ratio {
  readonly name: string;
  /** Median over rounds of the ratio within each round: cases of one round ran seconds apart, under the same noise. */
  readonly value: number;
  readonly perRound: number[];
  readonly goal?: { readonly atLeast: number; readonly met: boolean };
}

async function main(): Promise<void> {
  if (globalThis.gc === undefined) progress('run node with --expose-gc for a garbage collection between cases');
  progress(`fresh database ${BENCH_DATABASE} on ${MYSQL.host}:${MYSQL.port}`);
  await freshBenchDatabase();
  const mariadb = await serverVersion();

  const app = await startLeafApp();
  const ids = app.get(IdGenerator);
  const sink = new Sink();
  const cases = {
    floor: floorCase(sink),
    bigint: bigintCounterCase(sink),
    nextId: nextIdCase(ids, NEXT_ID_TAG, sink),
    nextIds: nextIdsCase(ids, NEXT_IDS_TAG, sink),
    bigintArray: bigintArrayCase(sink),
    snowflake: snowflakeCase(sink),
  } satisfies Record<string, ThroughputCase>;
  const order = Object.keys(cases) as Array<keyof typeof cases>;

  progress(`in-process: warm-up ${WARMUP_MS} ms, then ${ROUNDS} rounds x ${ROUND_MS} ms per case, round-robin`);
  const batches = {} as Record<keyof typeof cases, number>;
  for (const key of order) {
    collectGarbage();
    batches[key] = await warmUp(cases[key], WARMUP_MS);
  }
  const before = tagSnapshots(ids);
  const rounds = Object.fromEntries(order.map((key) => [key, [] as number[]])) as Record<keyof typeof cases, number[]>;
  for (let round = 0; round < ROUNDS; round++) {
    for (const key of order) {
      collectGarbage();
      rounds[key].push((await timeRound(cases[key], batches[key], ROUND_MS)).idsPerSec);
    }
  }
  const after = tagSnapshots(ids);
  await app.close();

  const throughput = Object.fromEntries(
    order.map((key) => {
      const tag = key === 'nextId' ? NEXT_ID_TAG : key === 'nextIds' ? NEXT_IDS_TAG : undefined;
      const result: ThroughputResult = {
        name: cases[key].name,
        idsPerSec: median(rounds[key]),
        roundsIdsPerSec: rounds[key],
        batch: batches[key],
        ...(tag && { leaf: activity(tag, before.get(tag), after.get(tag)) }),
      };
      return [key, result];
    }),
  ) as Record<keyof typeof cases, ThroughputResult>;

  progress(`reservation: ${RESERVATION.step}-ID segments, one row per method`);
  const reservationBench = new ReservationBench(RESERVATION);
  let reservations: ReservationResult[];
  try {
    await reservationBench.init();
    reservations = await reservationBench.run(progress);
  } finally {
    await reservationBench.close();
  }
  const byKey = Object.fromEntries(reservations.map((r) => [r.key, r])) as Record<ReservationResult['key'], ReservationResult>;

  const perRound = (a: number[], b: number[]) => a.map((x, i) => x / b[i]);
  const ratio = (name: string, values: number[], atLeast?: number): Ratio => {
    const value = median(values);
    return { name, value, perRound: values, ...(atLeast !== undefined && { goal: { atLeast, met: value >= atLeast } }) };
  };
  const ratios = {
    nextIdVsFloor: ratio('nextId / floor', perRound(rounds.nextId, rounds.floor), 0.7),
    nextIdVsSnowflake: ratio('nextId / snowflake', perRound(rounds.nextId, rounds.snowflake), 1.0),
    nextIdsVsBigintCounter: ratio('nextIds / bigint counter', perRound(rounds.nextIds, rounds.bigint), 0.5),
    nextIdsVsBigintArray: ratio('nextIds / bigint array', perRound(rounds.nextIds, rounds.bigintArray)),
    leafTxVsSingleStatementLatencyP50: ratio(
      'Leaf tx p50 / single statement p50 (sequential)',
      perRound(byKey.leafTx.sequential.roundsP50Ms, byKey.single.sequential.roundsP50Ms),
    ),
    singleStatementVsLeafTxConcurrent: ratio(
      `single statement / Leaf tx, reservations/s at ${RESERVATION.concurrency} concurrent`,
      perRound(byKey.single.concurrent.roundsPerSec, byKey.leafTx.concurrent.roundsPerSec),
    ),
  };

  const machine = {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    mariadb,
  };

  process.stdout.write(
    render(order.map((key) => throughput[key]), reservations, Object.values(ratios), machine) + '\n',
  );

  const json = {
    cases: [
      ...order.map((key) => ({ key, ...throughput[key] })),
      ...reservations.flatMap((r) => [
        {
          key: `reserve.${r.key}.sequential`,
          name: `reserve ${RESERVATION.step} IDs: ${r.name}, sequential`,
          // IDs/s that this path could reserve at this step, so every case shares one unit.
          idsPerSec: r.sequential.reservationsPerSec * RESERVATION.step,
          step: RESERVATION.step,
          roundTrips: r.roundTrips,
          ...r.sequential,
        },
        {
          key: `reserve.${r.key}.concurrent`,
          name: `reserve ${RESERVATION.step} IDs: ${r.name}, ${r.concurrent.workers} concurrent`,
          idsPerSec: r.concurrent.reservationsPerSec * RESERVATION.step,
          step: RESERVATION.step,
          roundTrips: r.roundTrips,
          workers: r.concurrent.workers,
          reservationsPerSec: r.concurrent.reservationsPerSec,
          roundsReservationsPerSec: r.concurrent.roundsPerSec,
          ...r.concurrent.latency,
        },
      ]),
    ],
    ratios,
    settings: { warmupMs: WARMUP_MS, roundMs: ROUND_MS, rounds: ROUNDS, leaf: LEAF_OPTIONS, reservation: RESERVATION },
    machine,
  };
  await mkdir(new URL('.', RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, JSON.stringify(json, roundForJson, 2) + '\n');
  progress(`wrote ${RESULTS_FILE.pathname}`);
}

async function startLeafApp() {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...benchDataSourceOptions(),
        autoLoadEntities: true,
        retryAttempts: 0,
      }),
      LeafModule.forRoot({ bizTags: [NEXT_ID_TAG, NEXT_IDS_TAG], ...LEAF_OPTIONS }),
    ],
  })
  class BenchModule {}

  // abortOnError off: a failed boot should explain itself instead of aborting the process.
  return NestFactory.createApplicationContext(BenchModule, { logger: false, abortOnError: false });
}

/** Rates to whole units and milliseconds to 0.1 µs: digits beyond those are noise, not precision. */
function roundForJson(_key: string, value: unknown): unknown {
  if (typeof value !== 'number' || Number.isInteger(value) || !Number.isFinite(value)) return value;
  return Math.abs(value) >= 1000 ? Math.round(value) : Number(value.toFixed(4));
}

function tagSnapshots(ids: IdGenerator): Map<string, LeafTagSnapshot> {
  return new Map(ids.inspect().map((s) => [s.tag, s]));
}

function activity(tag: string, before: LeafTagSnapshot | undefined, after: LeafTagSnapshot | undefined): LeafActivity {
  if (before === undefined || after === undefined) throw new Error(`IdGenerator.inspect() has no tag "${tag}"`);
  return {
    tag,
    reservations: after.reservations - before.reservations,
    waits: after.waits - before.waits,
    idsIssued: after.idsIssued - before.idsIssued,
    stepAtEnd: after.step,
  };
}

function render(
  throughput: readonly ThroughputResult[],
  reservations: readonly ReservationResult[],
  ratios: readonly Ratio[],
  machine: { node: string; cpus: number; cpuModel: string; platform: string; mariadb: string; loadAverage: number[] },
): string {
  const spread = (values: number[]) => `${formatCount(Math.min(...values))} – ${formatCount(Math.max(...values))}`;
  const inProcess = renderTable(
    [{ header: 'case' }, { header: 'IDs/s (median)', align: 'right' }, { header: 'rounds min – max', align: 'right' }, { header: 'DB activity while timed' }],
    throughput.map((t) => [
      t.name,
      formatCount(t.idsPerSec),
      spread(t.roundsIdsPerSec),
      t.leaf
        ? `${t.leaf.reservations} reservations, ${t.leaf.waits} waits, ${formatCount(t.leaf.idsIssued)} IDs, step ${formatCount(t.leaf.stepAtEnd)}`
        : '',
    ]),
  );
  const reservation = renderTable(
    [
      { header: 'reservation' },
      { header: 'round trips', align: 'right' },
      { header: 'p50 ms', align: 'right' },
      { header: 'p99 ms', align: 'right' },
      { header: 'mean ms', align: 'right' },
      { header: 'sequential/s', align: 'right' },
      { header: `${RESERVATION.concurrency} concurrent/s`, align: 'right' },
      { header: `p50 / p99 ms at ${RESERVATION.concurrency}`, align: 'right' },
    ],
    reservations.map((r) => [
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
  const ratioTable = renderTable(
    [{ header: 'ratio' }, { header: 'value', align: 'right' }, { header: 'per round', align: 'right' }, { header: 'goal' }, { header: 'verdict' }],
    ratios.map((r) => [
      r.name,
      formatRatio(r.value),
      r.perRound.length > 1 ? r.perRound.map(formatRatio).join(' ') : '',
      r.goal ? `>= ${r.goal.atLeast}` : '',
      r.goal ? (r.goal.met ? 'met' : 'MISSED') : '',
    ]),
  );
  return [
    '',
    `nest-leaf bench · node ${machine.node} · ${machine.cpus} x ${machine.cpuModel} · ${machine.platform} · MariaDB ${machine.mariadb} · load ${machine.loadAverage.join(' ')}`,
    '',
    `IDs from memory: median of ${ROUNDS} rounds x ${ROUND_MS} ms after ${WARMUP_MS} ms warm-up, cases interleaved`,
    inProcess,
    '',
    `Reserving one segment of ${RESERVATION.step} IDs: ${RESERVATION.sequentialPerMethod} sequential each, then ${RESERVATION.concurrency} concurrent for ${ROUNDS} x ${RESERVATION.concurrentRoundMs} ms`,
    reservation,
    '',
    'Ratios (each the median of per-round ratios)',
    ratioTable,
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
