import type { DbLoadSettings } from './measure/db-load.js';
import type { FarDatabaseSettings } from './measure/far-database.js';
import type { HttpSettings } from './measure/http.js';
import type { NodesSettings } from './measure/nodes.js';
import type { ReservationSettings } from './measure/reservation.js';
import type { TagsSettings } from './measure/tags.js';

export interface BenchSettings {
  readonly quick: boolean;
  readonly inProcess: { readonly warmupMs: number; readonly roundMs: number; readonly rounds: number };
  readonly perId: {
    readonly concurrency: number;
    readonly roundMs: number;
    readonly rounds: number;
    readonly warmupMs: number;
  };
  /** Loopback, then through the fault proxy at `latencyMsEachWay`. */
  readonly reservation: ReservationSettings;
  readonly reservationFar: ReservationSettings & { readonly latencyMsEachWay: number };
  readonly farDatabase: FarDatabaseSettings;
  readonly dbLoad: DbLoadSettings;
  readonly http: HttpSettings;
  readonly tags: TagsSettings;
  readonly nodes: NodesSettings;
}

/** Leaf's dynamic step grows the segment up to maxStep, so after warm-up the DB is touched every ~1M IDs. */
export const LEAF_OPTIONS = { step: 100_000, maxStep: 1_000_000, dynamicStep: true } as const;

/**
 * How a run scales the figures that set its length; every other figure (concurrency, steps, rates, the IDs
 * of the load case, the tags) is the same in both runs, so a quick run takes every code path a full one does.
 */
interface Scale {
  readonly quick: boolean;
  /** A duration in ms. */
  ms(full: number): number;
  /** A duration in whole seconds. */
  seconds(full: number): number;
  /** How many operations per method (sequential reservations, their warm-up). */
  count(full: number): number;
  /** Rounds (and restarts) of a case. */
  rounds(full: number): number;
}

const FULL_SCALE: Scale = { quick: false, ms: (x) => x, seconds: (x) => x, count: (x) => x, rounds: (x) => x };

/** A quick run is 1/8 of every duration and count of a full one, and one round of each case. */
const QUICK_FACTOR = 1 / 8;
const QUICK_SCALE: Scale = {
  quick: true,
  ms: (x) => Math.max(100, Math.round(x * QUICK_FACTOR)),
  seconds: (x) => Math.max(1, Math.round(x * QUICK_FACTOR)),
  count: (x) => Math.max(1, Math.round(x * QUICK_FACTOR)),
  rounds: () => 1,
};

/** The figures of the issue, at a scale: one table for the full and the quick run. */
function settings({ quick, ms, seconds, count, rounds }: Scale): BenchSettings {
  return {
    quick,
    inProcess: { warmupMs: ms(500), roundMs: ms(1000), rounds: rounds(5) },
    perId: { concurrency: 32, roundMs: ms(2000), rounds: rounds(3), warmupMs: ms(500) },
    reservation: {
      step: 1000,
      concurrency: 32,
      sequentialPerMethod: count(2000),
      warmupPerMethod: count(100),
      rounds: rounds(3),
      concurrentRoundMs: ms(1000),
    },
    reservationFar: {
      latencyMsEachWay: 30,
      step: 1000,
      concurrency: 32,
      sequentialPerMethod: count(30),
      warmupPerMethod: count(2),
      rounds: rounds(3),
      concurrentRoundMs: ms(4000),
    },
    farDatabase: {
      latencyMsEachWay: 30,
      warmupMs: ms(2000),
      steadyMs: ms(20_000),
      burstMs: ms(5000),
      steadyRate: 100_000,
      burstFactor: 10,
      windowMs: 250,
      step: 1000,
    },
    dbLoad: { ids: 1_000_000, step: 1000 },
    http: { connections: 64, durationS: seconds(10), warmupS: seconds(3), rounds: rounds(3) },
    tags: { tags: 10_000, restarts: rounds(3), step: 1000 },
    nodes: { counts: [1, 2, 4], roundMs: ms(3000), rounds: rounds(3) },
  };
}

/** About 6 minutes on the 2-core VM. */
export const FULL: BenchSettings = settings(FULL_SCALE);

/** Every case, every code path, an eighth of the time or less: a smoke run (about a minute). Its figures are noise. */
export const QUICK: BenchSettings = settings(QUICK_SCALE);
