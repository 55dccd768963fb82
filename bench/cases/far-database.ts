import mysql from 'mysql2/promise';
import type { IdGenerator, ReservationTrigger } from 'nest-leaf';
import { cpuShare, readCpu, type CpuShare } from '../support/cpu.js';
import { LatencyRecorder, percentiles, type Percentiles } from '../support/latency.js';
import { startLeafApp, tagSnapshot } from '../support/leaf-app.js';
import { benchMysqlOptions, MYSQL, type Server } from '../support/mariadb.js';
import { startFarServer } from '../support/proxy.js';
import { median } from '../support/stats.js';
import { collectGarbage, now } from '../support/timing.js';

export interface FarDatabaseSettings {
  /** Added by the fault proxy in each direction: a round trip gains twice this. */
  readonly latencyMsEachWay: number;
  /** Steady load before the measured window: the step grows from the row's step meanwhile. */
  readonly warmupMs: number;
  readonly steadyMs: number;
  readonly burstMs: number;
  /** Offered load of the warm-up and steady phases, IDs/s. */
  readonly steadyRate: number;
  /** The burst offers steadyRate x burstFactor. */
  readonly burstFactor: number;
  /** Width of the timeline's windows. */
  readonly windowMs: number;
  /** The row's step (the floor of the dynamic step); the library's other options keep their defaults. */
  readonly step: number;
}

export interface FarPhase {
  readonly name: 'warm-up' | 'steady' | 'burst';
  readonly fromMs: number;
  readonly toMs: number;
  /** Offered load, IDs/s. */
  readonly offeredPerSec: number;
  /** Calls made per second of the phase: the offered load, less what the harness shed when it fell behind. */
  readonly achievedPerSec: number;
  /** nextId calls made. */
  readonly calls: number;
  /** Latency of every SAMPLE_EVERY-th call (`latency.calls` of them). */
  readonly latency: Percentiles;
  /**
   * The control: `await` of an async function returning a counter, issued by the same loop (one per
   * SAMPLE_EVERY nextId calls), so it meets the same event loop, GC and CPU preemption. What any awaited
   * call got on this machine at that moment; the difference to `latency` is the generator's own.
   */
  readonly control: Percentiles;
  /** Scheduled calls the harness dropped because it was more than MAX_CATCH_UP_MS behind (the machine was too busy). */
  readonly shed: number;
  /** Calls that found memory empty and waited for a reservation (IdGenerator.inspect().waits). */
  readonly waits: number;
  readonly waitShare: number;
  /** Share of the timed calls slower than 1 ms, whatever the cause (waits, GC, a busy event loop). */
  readonly slowerThan1MsShare: number;
  readonly reservations: number;
  readonly stepAtStart: number;
  readonly stepAtEnd: number;
  /** How far the load generator fell behind its schedule at worst: the harness's own health, not the library's. */
  readonly maxScheduleLagMs: number;
  /** CPU of this process (the generator and its load) and of the whole machine during the phase. */
  readonly cpu: CpuShare;
}

export interface FarWindow {
  /** Start of the window, ms since the load began. */
  readonly t: number;
  readonly offeredPerSec: number;
  readonly achievedPerSec: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly waits: number;
  /** The step of the segment in use at the end of the window. */
  readonly step: number;
}

export interface FarReservation {
  /** When it landed, ms since the load began (negative: at startup). */
  readonly t: number;
  readonly step: number;
  readonly trigger: ReservationTrigger;
  readonly latencyMs: number;
  readonly ok: boolean;
}

export interface FarDatabaseResult {
  readonly rttMs: number;
  readonly phases: FarPhase[];
  readonly windows: FarWindow[];
  readonly reservations: FarReservation[];
  readonly errors: number;
  readonly outOfOrder: number;
}

const TAG = 'far';
/**
 * One nextId call in this many is timed, and one control call is made per this many: timing every call (two
 * clock reads and a store each) cost the load generator more CPU than the generator itself, and a busy
 * loop lengthens the very turns the latencies are made of. The others are awaited (order and errors checked).
 */
const SAMPLE_EVERY = 10;
/**
 * When the loop falls behind its schedule (a busy machine), it catches up at most this much at once and sheds
 * the rest: a catch-up of seconds of calls in one synchronous burst would stall the event loop and measure
 * the harness. Shed calls are counted and reported.
 */
const MAX_CATCH_UP_MS = 5;
/**
 * The load is issued from a 1 ms timer: what is due since the last tick, as a server handles the requests
 * that arrived since its last poll. A busy loop (awaiting setImmediate) paced it finer, but kept a core at
 * 100% and allocated a promise per turn; the resulting scavenges, with V8's parallel GC helpers, took
 * another half core of this 2-core machine (measured: the bench process at 160-180% CPU) and starved
 * MariaDB, the proxy and the loop itself.
 */
const TICK_MS = 1;
/** Calls issued back to back; a tick's calls beyond this go out in further chunks, a macrotask apart. */
const CHUNK = 100;

/**
 * `nextId` with the database 2 x latencyMsEachWay away: an open-loop load (calls issued on a schedule,
 * whether or not earlier ones have resolved, as requests reach a server) at a steady rate, then a burst.
 * Every call's latency is recorded, from the call to the moment its `await` resumes.
 */
export async function runFarDatabase(
  database: string,
  settings: FarDatabaseSettings,
  progress: (line: string) => void,
): Promise<FarDatabaseResult> {
  const proxy = await startFarServer(MYSQL, settings.latencyMsEachWay);
  try {
    const rttMs = await measureRtt(database, proxy);
    progress(`far database: ${rttMs.toFixed(1)} ms per round trip through the proxy; booting the generator`);
    const leaf = await startLeafApp(
      database,
      { bizTags: [{ tag: TAG, step: settings.step }], step: settings.step, dynamicStep: true },
      { server: proxy },
    );
    try {
      return await drive(leaf.ids, settings, rttMs, progress);
    } finally {
      await leaf.close();
    }
  } finally {
    await proxy.close();
  }
}

/** Median of five `SELECT 1` round trips through the proxy. */
export async function measureRtt(database: string, proxy: Server): Promise<number> {
  const conn = await mysql.createConnection(benchMysqlOptions(database, proxy));
  try {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = now();
      await conn.query('SELECT 1');
      samples.push(now() - t0);
    }
    return median(samples);
  } finally {
    await conn.end();
  }
}

async function drive(
  ids: IdGenerator,
  settings: FarDatabaseSettings,
  rttMs: number,
  progress: (line: string) => void,
): Promise<FarDatabaseResult> {
  const { warmupMs, steadyMs, burstMs, steadyRate, burstFactor, windowMs } = settings;
  const plan = [
    { name: 'warm-up' as const, ms: warmupMs, rate: steadyRate },
    { name: 'steady' as const, ms: steadyMs, rate: steadyRate },
    { name: 'burst' as const, ms: burstMs, rate: steadyRate * burstFactor },
  ];
  const totalMs = warmupMs + steadyMs + burstMs;
  const capacity = Math.ceil(plan.reduce((n, p) => n + (p.rate * p.ms) / 1000, 0) * 1.05) + 1024;
  const recorderSize = Math.ceil(capacity / SAMPLE_EVERY) + 1024;
  const recorder = new LatencyRecorder(recorderSize);
  const controlRecorder = new LatencyRecorder(recorderSize);

  let origin = now();
  const reservations: FarReservation[] = [];
  const unsubscribe = ids.onReservation((event) =>
    reservations.push({ t: now() - origin, step: event.step, trigger: event.trigger, latencyMs: event.latencyMs, ok: event.ok }),
  );

  let errors = 0;
  let outOfOrder = 0;
  let lastId = 0n;
  let outstanding = 0;
  let settled: (() => void) | null = null;
  const onId = (id: bigint): void => {
    // Callers resume in the order their IDs were issued: a waiting caller is never overtaken.
    if (id <= lastId) outOfOrder++;
    lastId = id;
    if (--outstanding === 0) settled?.();
  };
  const onError = (): void => {
    errors++;
    if (--outstanding === 0) settled?.();
  };
  const plain = (): void => {
    outstanding++;
    ids.nextId(TAG).then(onId, onError);
  };
  const timed = async (): Promise<void> => {
    outstanding++;
    const t0 = now();
    let id: bigint;
    try {
      id = await ids.nextId(TAG);
    } catch {
      onError();
      return;
    }
    recorder.record(t0 - origin, now() - t0);
    onId(id);
  };

  let counter = 0;
  async function floor(): Promise<number> {
    return ++counter;
  }
  const control = async (): Promise<void> => {
    const t0 = now();
    await floor();
    controlRecorder.record(t0 - origin, now() - t0);
  };

  // The timeline: a snapshot of the tag every window, taken by a timer between the load's turns.
  const windows: { t: number; waits: number; step: number; issued: number }[] = [];
  const sample = () => {
    const s = tagSnapshot(ids, TAG);
    windows.push({ t: now() - origin, waits: s.waits, step: s.step, issued: s.idsIssued });
  };

  collectGarbage();
  const phases: FarPhase[] = [];
  origin = now();
  sample();
  const sampler = setInterval(sample, windowMs);
  try {
    for (const phase of plan) {
      progress(`far database: ${phase.name}, ${phase.rate.toLocaleString('en-US')} IDs/s for ${phase.ms} ms`);
      const before = tagSnapshot(ids, TAG);
      const cpuBefore = readCpu();
      const perMs = phase.rate / 1000;
      const start = now();
      const end = start + phase.ms;
      const cap = Math.max(1, Math.ceil(perMs * MAX_CATCH_UP_MS));
      let scheduled = 0;
      let issued = 0;
      let shed = 0;
      let maxLag = 0;
      await new Promise<void>((resolve) => {
        const tick = (): void => {
          const t = now();
          if (t >= end) return resolve();
          let due = Math.floor((t - start) * perMs) - scheduled;
          if (due <= 0) return void setTimeout(tick, TICK_MS);
          const lag = t - (start + scheduled / perMs);
          if (lag > maxLag) maxLag = lag;
          scheduled += due;
          if (due > cap) {
            shed += due - cap;
            due = cap;
          }
          issue(due);
        };
        // In chunks of CHUNK calls, a macrotask apart, so the continuations of one chunk run before the next
        // chunk is issued and no call's latency includes a thousand calls issued after it.
        const issue = (remaining: number): void => {
          const n = Math.min(CHUNK, remaining);
          for (let i = 0; i < n; i++) {
            if (++issued % SAMPLE_EVERY === 0) {
              void timed();
              void control();
            } else plain();
          }
          if (remaining > n) setImmediate(issue, remaining - n);
          else setTimeout(tick, TICK_MS);
        };
        tick();
      });
      const cpu = cpuShare(cpuBefore);
      const after = tagSnapshot(ids, TAG);
      const fromMs = start - origin;
      const toMs = end - origin;
      phases.push({
        name: phase.name,
        fromMs,
        toMs,
        offeredPerSec: phase.rate,
        achievedPerSec: issued / (phase.ms / 1000),
        calls: issued,
        latency: percentiles([]),
        control: percentiles([]),
        shed,
        waits: after.waits - before.waits,
        waitShare: issued > 0 ? (after.waits - before.waits) / issued : 0,
        slowerThan1MsShare: 0,
        reservations: after.reservations - before.reservations,
        stepAtStart: before.step,
        stepAtEnd: after.step,
        maxScheduleLagMs: maxLag,
        cpu,
      });
    }
    if (outstanding > 0) await new Promise<void>((resolve) => (settled = resolve));
  } finally {
    clearInterval(sampler);
    unsubscribe();
  }
  sample();

  // Percentiles by the phase each call was issued in; the timeline by window.
  const done = phases.map((phase) => {
    const sorted = recorder.sortedBetween(phase.fromMs, phase.toMs);
    return {
      ...phase,
      latency: percentiles(sorted),
      control: percentiles(controlRecorder.sortedBetween(phase.fromMs, phase.toMs)),
      slowerThan1MsShare: sorted.length > 0 ? recorder.countSlowerThan(1, phase.fromMs, phase.toMs) / sorted.length : 0,
    };
  });
  const timeline: FarWindow[] = [];
  const byWindow = recorder.sortedByWindow(windows.map((w) => w.t));
  for (let i = 1; i < windows.length; i++) {
    const from = windows[i - 1];
    const to = windows[i];
    if (from.t >= totalMs + 1) break;
    const lat = percentiles(byWindow[i - 1]);
    const phase = done.find((p) => from.t >= p.fromMs - 1 && from.t < p.toMs) ?? done[done.length - 1];
    timeline.push({
      t: from.t,
      offeredPerSec: phase.offeredPerSec,
      achievedPerSec: (to.issued - from.issued) / ((to.t - from.t) / 1000),
      p99Ms: lat.p99Ms,
      maxMs: lat.maxMs,
      waits: to.waits - from.waits,
      step: to.step,
    });
  }
  return { rttMs, phases: done, windows: timeline, reservations, errors, outOfOrder };
}
