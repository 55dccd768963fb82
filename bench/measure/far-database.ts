import mysql from 'mysql2/promise';
import type { ReservationTrigger } from 'nest-leaf';
import { startProxyProcess } from '../../harness/fault-proxy-process.js';
import { startLeafApp } from '../../harness/leaf-app.js';
import { mysqlClientOptions, MYSQL, type Server } from '../../harness/mariadb.js';
import type { CpuShare } from '../support/cpu.js';
import type { Percentiles } from '../support/latency.js';
import { median } from '../support/stats.js';
import { now } from '../support/timing.js';
import { drive, TAG } from './far-database-load.js';

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
  const proxy = await startProxyProcess(MYSQL, settings.latencyMsEachWay);
  try {
    const rttMs = await measureRtt(database, proxy);
    progress(`far database: ${rttMs.toFixed(1)} ms per round trip through the proxy; booting the generator`);
    const leaf = await startLeafApp(
      database,
      { bizTags: [{ tag: TAG, step: settings.step }], step: settings.step, dynamicStep: true },
      { host: proxy.host, port: proxy.port },
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
  const conn = await mysql.createConnection(mysqlClientOptions(database, proxy));
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
