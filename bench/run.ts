import 'reflect-metadata';
import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { IdGenerator, type LeafTagSnapshot } from 'nest-leaf';
import { runDbLoad, type DbLoadResult } from './cases/db-load.js';
import { measureRtt, runFarDatabase, type FarDatabaseResult } from './cases/far-database.js';
import { runHttp, type HttpResult } from './cases/http.js';
import {
  bigintArrayCase,
  bigintCounterCase,
  floorCase,
  floorConcurrentCase,
  nextIdCase,
  nextIdConcurrentCase,
  nextIdsCase,
  randomUuidCase,
  Sink,
  snowflakeCase,
} from './cases/in-process.js';
import { runNodes, type NodesResult } from './cases/nodes.js';
import { PER_ID_METHODS, PerIdDatabaseBench } from './cases/per-id-db.js';
import { ReservationBench, type ReservationResult, type ReservationSettings } from './cases/reservation.js';
import { runTags, type TagsResult } from './cases/tags.js';
import { parseCommandLine, SECTIONS, type BenchSettings, type Section } from './settings.js';
import { renderChart } from './support/chart.js';
import type { Goal, Ratio } from './support/ratio.js';
import { startLeafApp, tagSnapshots } from './support/leaf-app.js';
import { machineInfo, type Machine } from './support/machine.js';
import { dropBenchDatabases, freshBenchDatabase, MYSQL, serverVersion, type Server } from './support/mariadb.js';
import { startFarServer } from './support/proxy.js';
import { median } from './support/stats.js';
import { formatBytes, formatCount, formatLatency, formatMs, formatPercent, formatRatio, renderTable } from './support/table.js';
import { collectGarbage, timeRound, warmUp, type ThroughputCase } from './support/timing.js';

const NEXT_ID_TAG = 'bench';
const NEXT_IDS_TAG = 'bench_batch';
const NEXT_ID_32_TAG = 'bench_32';
const NODES_TAG = 'nodes';
/** Leaf's dynamic step grows the segment up to maxStep, so after warm-up the DB is touched every ~1M IDs. */
const LEAF_OPTIONS = { step: 100_000, maxStep: 1_000_000, dynamicStep: true } as const;

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

// ---------------------------------------------------------------------------------------------------------
// Results

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

type InProcessKey = 'floor' | 'bigint' | 'nextId' | 'nextIds' | 'bigintArray' | 'snowflake' | 'randomUuid';
type PerIdKey = 'nextId32' | 'floor32' | 'updatePerId' | 'insertPerId';

interface Outcome {
  inProcess?: Partial<Record<InProcessKey, ThroughputResult>>;
  perId?: Record<PerIdKey, ThroughputResult>;
  reservation?: ReservationResult[];
  reservationFar?: ReservationResult[];
  reservationFarRttMs?: number;
  farDatabase?: FarDatabaseResult;
  dbLoad?: DbLoadResult[];
  http?: HttpResult;
  tags?: TagsResult;
  nodes?: NodesResult;
}

// ---------------------------------------------------------------------------------------------------------
// Sections

async function runInProcessAndPerId(
  settings: BenchSettings,
  sections: ReadonlySet<Section>,
  only: ReadonlySet<string> | undefined,
  out: Outcome,
): Promise<void> {
  const database = await freshBenchDatabase('main');
  const { app, ids } = await startLeafApp(database, { bizTags: [NEXT_ID_TAG, NEXT_IDS_TAG, NEXT_ID_32_TAG], ...LEAF_OPTIONS });
  try {
    const sink = new Sink();
    if (sections.has('inProcess')) out.inProcess = await inProcess(settings.inProcess, ids, sink, only);
    if (sections.has('perId')) out.perId = await perId(settings.perId, database, ids, sink);
  } finally {
    await app.close();
  }
}

async function inProcess(
  { warmupMs, roundMs, rounds: roundCount }: BenchSettings['inProcess'],
  ids: IdGenerator,
  sink: Sink,
  only: ReadonlySet<string> | undefined,
): Promise<Partial<Record<InProcessKey, ThroughputResult>>> {
  const cases: Record<InProcessKey, ThroughputCase> = {
    floor: floorCase(sink),
    bigint: bigintCounterCase(sink),
    nextId: nextIdCase(ids, NEXT_ID_TAG, sink),
    nextIds: nextIdsCase(ids, NEXT_IDS_TAG, sink),
    bigintArray: bigintArrayCase(sink),
    snowflake: snowflakeCase(sink),
    randomUuid: randomUuidCase(sink),
  };
  const order = (Object.keys(cases) as InProcessKey[]).filter((key) => only === undefined || only.has(key));
  if (order.length === 0) throw new Error(`--cases matched no in-process case; they are ${Object.keys(cases).join(', ')}`);
  const tags: Partial<Record<InProcessKey, string>> = { nextId: NEXT_ID_TAG, nextIds: NEXT_IDS_TAG };

  progress(`in-process: warm-up ${warmupMs} ms, then ${roundCount} rounds x ${roundMs} ms per case, round-robin`);
  const batches = {} as Record<InProcessKey, number>;
  for (const key of order) {
    collectGarbage();
    batches[key] = await warmUp(cases[key], warmupMs);
  }
  const before = tagSnapshots(ids);
  const rounds = Object.fromEntries(order.map((key) => [key, [] as number[]])) as Record<InProcessKey, number[]>;
  for (let round = 0; round < roundCount; round++) {
    for (const key of order) {
      collectGarbage();
      rounds[key].push((await timeRound(cases[key], batches[key], roundMs)).idsPerSec);
    }
  }
  const after = tagSnapshots(ids);
  return Object.fromEntries(
    order.map((key) => {
      const tag = tags[key];
      const result: ThroughputResult = {
        name: cases[key].name,
        idsPerSec: median(rounds[key]),
        roundsIdsPerSec: rounds[key],
        batch: batches[key],
        ...(tag && { leaf: activity(tag, before.get(tag), after.get(tag)) }),
      };
      return [key, result];
    }),
  ) as Partial<Record<InProcessKey, ThroughputResult>>;
}

async function perId(
  { concurrency, roundMs, rounds: roundCount, warmupMs }: BenchSettings['perId'],
  database: string,
  ids: IdGenerator,
  sink: Sink,
): Promise<Record<PerIdKey, ThroughputResult>> {
  const bench = new PerIdDatabaseBench(database, concurrency);
  try {
    await bench.init();
    const nextId32 = nextIdConcurrentCase(ids, NEXT_ID_32_TAG, concurrency, sink);
    const floor32 = floorConcurrentCase(concurrency, sink);
    progress(`per-ID database: ${concurrency} concurrent, ${roundCount} rounds x ${roundMs} ms per method, round-robin`);
    collectGarbage();
    const batch = await warmUp(nextId32, warmupMs);
    const floorBatch = await warmUp(floor32, warmupMs);
    for (const method of PER_ID_METHODS) await bench.timeRound(method, warmupMs);
    const before = tagSnapshots(ids);
    const rounds: Record<PerIdKey, number[]> = { nextId32: [], floor32: [], updatePerId: [], insertPerId: [] };
    for (let round = 0; round < roundCount; round++) {
      collectGarbage();
      rounds.nextId32.push((await timeRound(nextId32, batch, roundMs)).idsPerSec);
      collectGarbage();
      rounds.floor32.push((await timeRound(floor32, floorBatch, roundMs)).idsPerSec);
      for (const method of PER_ID_METHODS) rounds[method.key].push(await bench.timeRound(method, roundMs));
    }
    const after = tagSnapshots(ids);
    const result = (name: string, key: PerIdKey, extra: Partial<ThroughputResult> = {}): ThroughputResult => ({
      name,
      idsPerSec: median(rounds[key]),
      roundsIdsPerSec: rounds[key],
      batch: 1,
      ...extra,
    });
    return {
      nextId32: result(nextId32.name, 'nextId32', {
        batch,
        leaf: activity(NEXT_ID_32_TAG, before.get(NEXT_ID_32_TAG), after.get(NEXT_ID_32_TAG)),
      }),
      floor32: result(floor32.name, 'floor32', { batch: floorBatch }),
      updatePerId: result(`${PER_ID_METHODS[0].name}, ${concurrency} connections`, 'updatePerId'),
      insertPerId: result(`${PER_ID_METHODS[1].name}, ${concurrency} connections`, 'insertPerId'),
    };
  } finally {
    await bench.close();
  }
}

async function reservations(settings: BenchSettings, out: Outcome): Promise<void> {
  const run = async (label: string, reservationSettings: ReservationSettings, database: string, server: Server = MYSQL) => {
    const bench = new ReservationBench(reservationSettings, database, server);
    try {
      await bench.init();
      return await bench.run((line) => progress(`${label}: ${line}`));
    } finally {
      await bench.close();
    }
  };
  progress(`reservation (loopback): ${settings.reservation.step}-ID segments, one row per method`);
  out.reservation = await run('loopback', settings.reservation, await freshBenchDatabase('reservation'));

  const far = settings.reservationFar;
  const database = await freshBenchDatabase('reservation_far');
  const proxy = await startFarServer(MYSQL, far.latencyMsEachWay);
  try {
    out.reservationFarRttMs = await measureRtt(database, proxy);
    progress(`reservation (through the proxy, ${far.latencyMsEachWay} ms each way, ${out.reservationFarRttMs.toFixed(1)} ms RTT): ${far.step}-ID segments`);
    out.reservationFar = await run(`far`, far, database, proxy);
  } finally {
    await proxy.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ratios and goals

function computeRatios(out: Outcome, settings: BenchSettings): Record<string, Ratio> {
  const perRound = (a: number[], b: number[]) => a.map((x, i) => x / b[i]);
  const ratio = (section: Section, name: string, values: number[], goal?: Omit<Goal, 'met'>, note?: string): Ratio => {
    const value = median(values);
    const met =
      goal === undefined
        ? true
        : (goal.atLeast === undefined || value >= goal.atLeast) &&
          (goal.atMost === undefined || value <= goal.atMost) &&
          (goal.below === undefined || value < goal.below);
    return { name, section, value, perRound: values, ...(goal && { goal: { ...goal, met } }), ...(note && { note }) };
  };
  const ratios: Record<string, Ratio> = {};
  const p = out.inProcess;
  if (p) {
    const pair = (key: string, name: string, a: InProcessKey, b: InProcessKey, goal?: Omit<Goal, 'met'>) => {
      const x = p[a];
      const y = p[b];
      if (x && y) ratios[key] = ratio('inProcess', name, perRound(x.roundsIdsPerSec, y.roundsIdsPerSec), goal);
    };
    pair('nextIdVsFloor', 'nextId / floor', 'nextId', 'floor', { atLeast: 0.7 });
    pair('nextIdVsSnowflake', 'nextId / snowflake', 'nextId', 'snowflake', { atLeast: 1.0 });
    pair('nextIdsVsBigintCounter', 'nextIds / bigint counter', 'nextIds', 'bigint', { atLeast: 0.5 });
    pair('nextIdsVsBigintArray', 'nextIds / bigint array', 'nextIds', 'bigintArray');
    pair('nextIdVsRandomUuid', 'nextId / crypto.randomUUID()', 'nextId', 'randomUuid');
  }
  const d = out.perId;
  if (d) {
    const n = settings.perId.concurrency;
    ratios.nextIdVsUpdatePerId = ratio(
      'perId',
      `nextId / one UPDATE per ID (both ${n} concurrent)`,
      perRound(d.nextId32.roundsIdsPerSec, d.updatePerId.roundsIdsPerSec),
      { atLeast: 1000 },
    );
    ratios.nextIdVsInsertPerId = ratio(
      'perId',
      `nextId / one AUTO_INCREMENT insert per ID (both ${n} concurrent)`,
      perRound(d.nextId32.roundsIdsPerSec, d.insertPerId.roundsIdsPerSec),
      { atLeast: 1000 },
    );
    ratios.floorVsInsertPerId = ratio(
      'perId',
      `ceiling: floor / one AUTO_INCREMENT insert per ID (both ${n} concurrent)`,
      perRound(d.floor32.roundsIdsPerSec, d.insertPerId.roundsIdsPerSec),
    );
    ratios.nextIdVsFloorConcurrent = ratio(
      'perId',
      `nextId / floor (both ${n} concurrent)`,
      perRound(d.nextId32.roundsIdsPerSec, d.floor32.roundsIdsPerSec),
    );
  }
  const reservationRatios = (rs: ReservationResult[], suffix: string, label: string, goal?: Omit<Goal, 'met'>) => {
    const by = Object.fromEntries(rs.map((x) => [x.key, x])) as Record<ReservationResult['key'], ReservationResult>;
    const c = by.single.concurrent.workers;
    ratios[`leafTxVsSingleStatementLatencyP50${suffix}`] = ratio(
      'reservation',
      `Leaf tx p50 / single statement p50, 1 reserver${label}`,
      perRound(by.leafTx.sequential.roundsP50Ms, by.single.sequential.roundsP50Ms),
      goal,
    );
    ratios[`leafTxVsSingleStatementLatencyP50Concurrent${suffix}`] = ratio(
      'reservation',
      `Leaf tx p50 / single statement p50, ${c} reservers${label}`,
      perRound(by.leafTx.concurrent.roundsP50Ms, by.single.concurrent.roundsP50Ms),
      goal,
    );
    ratios[`singleStatementVsLeafTxConcurrent${suffix}`] = ratio(
      'reservation',
      `single statement / Leaf tx, reservations/s at ${c} concurrent${label}`,
      perRound(by.single.concurrent.roundsPerSec, by.leafTx.concurrent.roundsPerSec),
    );
  };
  if (out.reservation) reservationRatios(out.reservation, '', ', loopback');
  if (out.reservationFar) {
    reservationRatios(out.reservationFar, 'Rtt62', `, ${formatRtt(out.reservationFarRttMs)} RTT`, { atLeast: 3.5 });
  }
  const f = out.farDatabase;
  if (f) {
    const steady = f.phases.find((x) => x.name === 'steady')!;
    const burst = f.phases.find((x) => x.name === 'burst')!;
    ratios.farSteadyWaitShare = ratio('farDatabase', 'far DB, steady load: share of calls that waited', [steady.waitShare], {
      atMost: 0,
    });
    ratios.farSteadyP999Ms = ratio('farDatabase', 'far DB, steady load: nextId p999, ms', [steady.latency.p999Ms], { below: 1 });
    ratios.farBurstWaitShare = ratio(
      'farDatabase',
      'far DB, 10x burst: share of calls that waited',
      [burst.waitShare],
      { atMost: 0.05 },
      'JuiceFS reports < 5% of calls blocked',
    );
    ratios.farBurstP999Ms = ratio('farDatabase', 'far DB, 10x burst: nextId p999, ms', [burst.latency.p999Ms], { below: 1 });
  }
  if (out.dbLoad) {
    for (const r of out.dbLoad) {
      ratios[r.dynamicStep ? 'dbLoadDynamicStep' : 'dbLoadFixedStep'] = ratio(
        'dbLoad',
        `reservations per ${formatCount(r.ids)} IDs / ceil(${formatCount(r.ids)} / ${r.step}), ${r.dynamicStep ? 'dynamic' : 'fixed'} step`,
        [r.ratio],
      );
    }
  }
  const h = out.http;
  if (h) {
    ratios.httpIdsVsEmpty = ratio(
      'http',
      'GET /ids/order / empty route, requests/s',
      perRound(h.routes.ids.roundsRequestsPerSec, h.routes.empty.roundsRequestsPerSec),
      { atLeast: 0.85 },
    );
  }
  const t = out.tags;
  if (t) {
    ratios.tagsBootVsSingleTag = ratio(
      'tags',
      `boot with ${formatCount(t.tags)} tags / boot with 1 (rows exist)`,
      t.restarts.map((s, i) => s.bootMs / t.singleTag[Math.min(i + 1, t.singleTag.length - 1)].bootMs),
    );
  }
  const nd = out.nodes;
  if (nd) {
    const one = nd.counts.find((c) => c.nodes === 1);
    for (const c of nd.counts) {
      if (c.nodes === 1 || one === undefined) continue;
      ratios[`nodes${c.nodes}VsNodes1`] = ratio(
        'nodes',
        `${c.nodes} nodes / 1 node, aggregate IDs/s`,
        perRound(c.roundsIdsPerSec, one.roundsIdsPerSec),
      );
    }
  }
  return ratios;
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

function formatRtt(ms: number | undefined): string {
  return ms === undefined ? 'n/a' : `${ms.toFixed(0)} ms`;
}

function goalText(goal: Goal | undefined): string {
  if (!goal) return '';
  if (goal.atLeast !== undefined) return `>= ${goal.atLeast}`;
  if (goal.atMost !== undefined) return `<= ${goal.atMost}`;
  return `< ${goal.below}`;
}

function render(out: Outcome, ratios: Record<string, Ratio>, machine: Machine, settings: BenchSettings): string {
  const parts: string[] = [
    '',
    `nest-leaf bench${settings.quick ? ' --quick (smoke run: figures are noise)' : ''} · node ${machine.node} · ${machine.cores} x ${machine.cpuModel} · ${machine.memory} · ${machine.os} · MariaDB ${machine.mariadb} · load ${machine.loadAverage.join(' ')}`,
  ];
  const spread = (values: number[]) => `${formatCount(Math.min(...values))} – ${formatCount(Math.max(...values))}`;
  const activityText = (leaf: LeafActivity | undefined) =>
    leaf
      ? `${leaf.reservations} reservations, ${leaf.waits} waits, ${formatCount(leaf.idsIssued)} IDs, step ${formatCount(leaf.stepAtEnd)}`
      : '';
  const throughputTable = (rows: ThroughputResult[]) =>
    renderTable(
      [
        { header: 'case' },
        { header: 'IDs/s (median)', align: 'right' },
        { header: 'rounds min – max', align: 'right' },
        { header: 'DB activity while timed' },
      ],
      rows.map((t) => [t.name, formatCount(t.idsPerSec), spread(t.roundsIdsPerSec), activityText(t.leaf)]),
    );

  if (out.inProcess) {
    const s = settings.inProcess;
    parts.push(
      '',
      `1. IDs from memory: median of ${s.rounds} rounds x ${s.roundMs} ms after ${s.warmupMs} ms warm-up, cases interleaved`,
      throughputTable(Object.values(out.inProcess).filter((t) => t !== undefined)),
    );
  }
  if (out.perId) {
    const s = settings.perId;
    parts.push(
      '',
      `2. The database per ID, against nextId: ${s.concurrency} concurrent each, median of ${s.rounds} rounds x ${s.roundMs} ms, interleaved`,
      throughputTable(Object.values(out.perId)),
    );
  }
  const reservationTable = (rs: ReservationResult[], s: ReservationSettings) =>
    renderTable(
      [
        { header: 'reservation' },
        { header: 'round trips', align: 'right' },
        { header: 'p50 ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
        { header: 'mean ms', align: 'right' },
        { header: 'sequential/s', align: 'right' },
        { header: `${s.concurrency} concurrent/s`, align: 'right' },
        { header: `p50 / p99 ms at ${s.concurrency}`, align: 'right' },
      ],
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
  if (out.reservation) {
    const s = settings.reservation;
    parts.push(
      '',
      `3a. Reserving one segment of ${s.step} IDs, loopback: ${s.sequentialPerMethod} sequential each, then ${s.concurrency} concurrent for ${s.rounds} x ${s.concurrentRoundMs} ms`,
      reservationTable(out.reservation, s),
    );
  }
  if (out.reservationFar) {
    const s = settings.reservationFar;
    parts.push(
      '',
      `3b. The same through the fault proxy, ${s.latencyMsEachWay} ms each way (${formatRtt(out.reservationFarRttMs)} RTT, measured): ${s.sequentialPerMethod} sequential each, then ${s.concurrency} concurrent for ${s.rounds} x ${s.concurrentRoundMs} ms`,
      reservationTable(out.reservationFar, s),
    );
  }
  const f = out.farDatabase;
  if (f) {
    const s = settings.farDatabase;
    parts.push(
      '',
      `4. nextId with the database ${formatMs(f.rttMs)} ms away (proxy, ${s.latencyMsEachWay} ms each way), open-loop load, every 10th call timed; row step ${s.step}, dynamic step on. ${f.errors} errors, ${f.outOfOrder} out of order`,
      renderTable(
        [
          { header: 'phase' },
          { header: 'offered IDs/s', align: 'right' },
          { header: 'achieved', align: 'right' },
          { header: 'calls / timed', align: 'right' },
          { header: 'p50 ms', align: 'right' },
          { header: 'p99 ms', align: 'right' },
          { header: 'p999 ms', align: 'right' },
          { header: 'max ms', align: 'right' },
          { header: 'control p99 / p999 ms', align: 'right' },
          { header: 'waited', align: 'right' },
          { header: '> 1 ms', align: 'right' },
          { header: 'reservations', align: 'right' },
          { header: 'step', align: 'right' },
          { header: 'shed', align: 'right' },
          { header: 'lag max ms', align: 'right' },
          { header: 'CPU: bench / machine', align: 'right' },
        ],
        f.phases.map((p) => [
          `${p.name} (${Number(((p.toMs - p.fromMs) / 1000).toFixed(1))} s)`,
          formatCount(p.offeredPerSec),
          formatCount(p.achievedPerSec),
          `${formatCount(p.calls)} / ${formatCount(p.latency.calls)}`,
          formatLatency(p.latency.p50Ms),
          formatLatency(p.latency.p99Ms),
          formatLatency(p.latency.p999Ms),
          formatLatency(p.latency.maxMs),
          `${formatLatency(p.control.p99Ms)} / ${formatLatency(p.control.p999Ms)}`,
          `${formatCount(p.waits)} (${formatPercent(p.waitShare)})`,
          formatPercent(p.slowerThan1MsShare),
          String(p.reservations),
          `${formatCount(p.stepAtStart)} → ${formatCount(p.stepAtEnd)}`,
          formatCount(p.shed),
          formatLatency(p.maxScheduleLagMs),
          `${formatPercent(p.cpu.processCores).replace('%', '% of a core')} / ${formatPercent(p.cpu.machineBusy)}`,
        ]),
      ),
    );
  }
  if (out.dbLoad) {
    parts.push(
      '',
      '5. Database load: reservations to issue the IDs on a fresh tag (startup reservation included), nextId flat out',
      renderTable(
        [
          { header: 'step' },
          { header: 'IDs', align: 'right' },
          { header: 'reservations', align: 'right' },
          { header: 'ceil(IDs / step)', align: 'right' },
          { header: 'ratio', align: 'right' },
          { header: 'startup / prefetch / on-demand', align: 'right' },
          { header: 'waits', align: 'right' },
          { header: 'step at end', align: 'right' },
        ],
        out.dbLoad.map((r) => [
          `${r.dynamicStep ? 'dynamic' : 'fixed'}, row step ${r.step}`,
          formatCount(r.ids),
          formatCount(r.reservations),
          formatCount(r.fixedStepReservations),
          r.ratio.toFixed(3),
          `${r.byTrigger.startup} / ${r.byTrigger.prefetch} / ${r.byTrigger['on-demand']}`,
          formatCount(r.waits),
          formatCount(r.stepAtEnd),
        ]),
      ),
    );
  }
  const h = out.http;
  if (h) {
    const s = settings.http;
    parts.push(
      '',
      `6. HTTP, the demo app on MariaDB: autocannon in a child process, ${s.connections} connections, ${s.rounds} rounds x ${s.durationS} s per route, interleaved; ${h.waits} waits and ${h.reservations} reservations of 'order' while timed`,
      renderTable(
        [
          { header: 'route' },
          { header: 'requests/s (median)', align: 'right' },
          { header: 'rounds min – max', align: 'right' },
          { header: 'latency p50 / p99 ms', align: 'right' },
        ],
        Object.values(h.routes).map((r) => [
          r.name,
          formatCount(r.requestsPerSec),
          spread(r.roundsRequestsPerSec),
          `${r.latencyP50Ms} / ${r.latencyP99Ms}`,
        ]),
      ),
    );
  }
  const t = out.tags;
  if (t) {
    parts.push(
      '',
      `7. Many tags: ${formatCount(t.tags)} configured tags, each reserving its first segment at boot (16 at a time)`,
      renderTable(
        [{ header: 'what' }, { header: 'value', align: 'right' }],
        [
          [`first boot, ${formatCount(t.tags)} tags (creates the rows)`, `${formatMs(t.firstBoot.bootMs)} ms`],
          [`boot, ${formatCount(t.tags)} tags, rows exist (median of ${t.restarts.length})`, `${formatMs(t.bootMs)} ms`],
          [`boot, 1 tag (median of ${t.singleTag.length})`, `${formatMs(t.singleTagBootMs)} ms`],
          [`close, ${formatCount(t.tags)} tags (gives every tail back)`, `${formatMs(t.closeMs)} ms`],
          ['heap per tag (after a full GC)', formatBytes(t.heapPerTagBytes)],
          [`heap of the ${formatCount(t.tags)}-tag app`, formatBytes(median(t.restarts.map((s) => s.heapDeltaBytes)))],
        ],
      ),
    );
  }
  const nd = out.nodes;
  if (nd) {
    const s = settings.nodes;
    parts.push(
      '',
      `8. Nodes: processes on one database and one tag (nextId loop in each), ${s.rounds} rounds x ${s.roundMs} ms, interleaved; ${nd.rangesChecked} reserved ranges checked disjoint`,
      renderTable(
        [
          { header: 'nodes' },
          { header: 'aggregate IDs/s (median)', align: 'right' },
          { header: 'rounds min – max', align: 'right' },
          { header: 'per node', align: 'right' },
          { header: 'reservations / waits', align: 'right' },
        ],
        nd.counts.map((c) => [
          String(c.nodes),
          formatCount(c.idsPerSec),
          spread(c.roundsIdsPerSec),
          formatCount(c.idsPerSec / c.nodes),
          `${c.reservations} / ${c.waits}`,
        ]),
      ),
    );
  }
  const list = Object.values(ratios);
  if (list.length > 0) {
    parts.push(
      '',
      'Ratios and goals (each the median of per-round ratios)',
      renderTable(
        [
          { header: 'ratio' },
          { header: 'value', align: 'right' },
          { header: 'per round', align: 'right' },
          { header: 'goal' },
          { header: 'verdict' },
        ],
        list.map((r) => [
          r.name,
          formatRatio(r.value),
          r.perRound.length > 1 ? r.perRound.map(formatRatio).join(' ') : '',
          `${goalText(r.goal)}${r.note ? ` (${r.note})` : ''}`,
          r.goal ? (r.goal.met ? 'met' : 'MISSED') : '',
        ]),
      ),
    );
    const missed = list.filter((r) => r.goal && !r.goal.met);
    parts.push('', missed.length === 0 ? 'Every goal met.' : `MISSED: ${missed.map((r) => r.name).join('; ')}. See docs/benchmarks.md.`);
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// JSON

function jsonCases(out: Outcome, settings: BenchSettings): object[] {
  const cases: object[] = [];
  if (out.inProcess) for (const [key, t] of Object.entries(out.inProcess)) cases.push({ key, ...t });
  if (out.perId) for (const [key, t] of Object.entries(out.perId)) cases.push({ key: `perId.${key}`, ...t });
  const reservationCases = (rs: ReservationResult[], prefix: string, label: string, s: ReservationSettings) => {
    for (const r of rs) {
      cases.push(
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
      );
    }
  };
  if (out.reservation) reservationCases(out.reservation, 'reserve', '', settings.reservation);
  if (out.reservationFar) {
    reservationCases(out.reservationFar, 'reserveRtt62', `, ${formatRtt(out.reservationFarRttMs)} RTT`, settings.reservationFar);
  }
  const f = out.farDatabase;
  if (f) {
    for (const p of f.phases) {
      cases.push({ ...p, key: `farDatabase.${p.name}`, phase: p.name, name: `nextId, database ${f.rttMs.toFixed(1)} ms away, ${p.name}`, rttMs: f.rttMs });
    }
    cases.push({
      key: 'farDatabase.timeline',
      name: 'nextId, far database: windows and reservations over time',
      windowMs: settings.farDatabase.windowMs,
      windows: f.windows,
      reservations: f.reservations,
      errors: f.errors,
      outOfOrder: f.outOfOrder,
    });
  }
  if (out.dbLoad) {
    for (const r of out.dbLoad) {
      cases.push({ key: `dbLoad.${r.dynamicStep ? 'dynamic' : 'fixed'}`, name: `reservations per ${r.ids} IDs`, ...r });
    }
  }
  if (out.http) {
    for (const r of Object.values(out.http.routes)) cases.push({ ...r, key: `http.${r.key}` });
  }
  if (out.tags) cases.push({ key: 'tags', name: `${out.tags.tags} tags: boot time and heap`, ...out.tags });
  if (out.nodes) {
    for (const c of out.nodes.counts) {
      cases.push({ key: `nodes.${c.nodes}`, name: `${c.nodes} node(s) on one database`, ...c });
    }
  }
  return cases;
}

/** Rates to whole units and milliseconds to 0.1 µs: digits beyond those are noise, not precision. */
function roundForJson(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'number' || Number.isInteger(value) || !Number.isFinite(value)) return value;
  return Math.abs(value) >= 1000 ? Math.round(value) : Number(value.toPrecision(6));
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

// ---------------------------------------------------------------------------------------------------------

/** Runs one section in this process and returns what it measured. */
async function runSection(
  section: Section,
  settings: BenchSettings,
  cases: ReadonlySet<string> | undefined,
): Promise<Outcome> {
  const out: Outcome = {};
  try {
    if (section === 'inProcess' || section === 'perId') await runInProcessAndPerId(settings, new Set([section]), cases, out);
    if (section === 'reservation') await reservations(settings, out);
    if (section === 'farDatabase') {
      out.farDatabase = await runFarDatabase(await freshBenchDatabase('far'), settings.farDatabase, progress);
    }
    if (section === 'dbLoad') {
      progress(`database load: ${formatCount(settings.dbLoad.ids)} IDs, step ${settings.dbLoad.step}, dynamic and fixed`);
      out.dbLoad = await runDbLoad(await freshBenchDatabase('load'), settings.dbLoad);
    }
    if (section === 'http') {
      out.http = await runHttp(await freshBenchDatabase('http', { withTable: false }), settings.http, progress);
    }
    if (section === 'tags') out.tags = await runTags(await freshBenchDatabase('tags'), settings.tags, progress);
    if (section === 'nodes') {
      out.nodes = await runNodes(
        await freshBenchDatabase('nodes'),
        NODES_TAG,
        { bizTags: [NODES_TAG], ...LEAF_OPTIONS },
        settings.nodes,
        progress,
      );
    }
  } finally {
    await dropBenchDatabases();
  }
  return out;
}

const SECTION_CHILD_FLAG = '--section-child=';

/**
 * Each section runs in a fresh Node process (this script again, with --section-child=<section>), so none
 * inherits another's heap, JIT state or type feedback. Measured: after the in-process, per-ID and
 * reservation sections had run in one process, V8 kept aborting its TurboFan compiles of nextId and of the
 * far-database harness ("Maps became deprecated during optimization", thousands of times), its compiler
 * threads took most of a core, and the far-database latencies were those of a starved process.
 */
function runSectionInChild(section: Section): Promise<Outcome> {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--only='));
  return new Promise((resolve, reject) => {
    // The parent's flags (--expose-gc, a --cpu-prof) carry over: a profile is written per section.
    const child = fork(fileURLToPath(import.meta.url), [...args, `--only=${section}`, `${SECTION_CHILD_FLAG}${section}`], {
      stdio: 'inherit',
      serialization: 'advanced',
    });
    let outcome: Outcome | undefined;
    child.on('message', (message) => (outcome = message as Outcome));
    child.on('error', reject);
    child.on('exit', (code) =>
      outcome !== undefined && code === 0 ? resolve(outcome) : reject(new Error(`section ${section} failed (exit code ${code})`)),
    );
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const childOf = argv.find((a) => a.startsWith(SECTION_CHILD_FLAG))?.slice(SECTION_CHILD_FLAG.length) as Section | undefined;
  const { settings, sections, cases } = parseCommandLine(
    argv.filter((a) => !a.startsWith(SECTION_CHILD_FLAG)),
    process.env,
  );
  // Ctrl-C: drop this process's databases before leaving, as the end of a section would.
  process.once('SIGINT', () => {
    void dropBenchDatabases().finally(() => process.exit(130));
  });
  if (childOf !== undefined) {
    const outcome = await runSection(childOf, settings, cases);
    process.send!(outcome, () => process.exit(0));
    return;
  }

  const full = !settings.quick && sections.size === SECTIONS.length && cases === undefined;
  if (globalThis.gc === undefined) progress('run node with --expose-gc for a garbage collection between cases');
  progress(`${settings.quick ? 'quick' : 'full'} run of ${[...sections].join(', ')}, each section in a process of its own; MariaDB at ${MYSQL.host}:${MYSQL.port}`);
  const started = Date.now();
  const mariadb = await serverVersion();
  const out: Outcome = {};
  for (const section of SECTIONS) {
    if (sections.has(section)) Object.assign(out, await runSectionInChild(section));
  }

  const machine = machineInfo(mariadb);
  const ratios = computeRatios(out, settings);
  process.stdout.write(render(out, ratios, machine, settings) + '\n');

  const json = {
    cases: jsonCases(out, settings),
    ratios,
    settings: { ...settings, sections: [...sections], leaf: LEAF_OPTIONS, durationS: Math.round((Date.now() - started) / 1000) },
    machine,
  };
  // Only a full run replaces the published figures; a quick or partial run writes beside the build output.
  const dir = full ? new URL('../../bench/results/', import.meta.url) : new URL('./results/', import.meta.url);
  const name = full ? 'latest' : settings.quick ? 'quick' : 'partial';
  await mkdir(dir, { recursive: true });
  const jsonFile = new URL(`${name}.json`, dir);
  const svgFile = new URL(`${name}.svg`, dir);
  await writeFile(jsonFile, JSON.stringify(json, roundForJson, 2) + '\n');
  await writeFile(svgFile, renderChart({ ratios, far: out.farDatabase, http: out.http, nodes: out.nodes, machine, quick: settings.quick }));
  progress(`wrote ${jsonFile.pathname} and ${svgFile.pathname} after ${Math.round((Date.now() - started) / 1000)} s`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
