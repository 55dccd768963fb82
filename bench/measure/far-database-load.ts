import type { IdGenerator } from 'nest-leaf';
import { tagSnapshot } from '../../harness/leaf-app.js';
import { cpuShare, readCpu } from '../support/cpu.js';
import { LatencyRecorder, percentiles } from '../support/latency.js';
import { collectGarbage, now } from '../support/timing.js';
import type { FarDatabaseResult, FarDatabaseSettings, FarPhase, FarReservation, FarWindow } from './far-database.js';

// The open-loop load of the far-database case; far-database.ts boots the generator behind the proxy.

export const TAG = 'far';
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

/** The load, phase by phase, and what it met: every SAMPLE_EVERY-th call timed, a control beside it. */
export async function drive(
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
    reservations.push({
      t: now() - origin,
      step: event.step,
      trigger: event.trigger,
      latencyMs: event.latencyMs,
      ok: event.ok,
    }),
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
