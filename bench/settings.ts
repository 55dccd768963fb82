import type { DbLoadSettings } from './cases/db-load.js';
import type { FarDatabaseSettings } from './cases/far-database.js';
import type { HttpSettings } from './cases/http.js';
import type { NodesSettings } from './cases/nodes.js';
import type { ReservationSettings } from './cases/reservation.js';
import type { TagsSettings } from './cases/tags.js';

/** The sections of the bench, in the order they run; `--only=a,b` runs a subset. */
export const SECTIONS = ['inProcess', 'perId', 'reservation', 'farDatabase', 'dbLoad', 'http', 'tags', 'nodes'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchSettings {
  readonly quick: boolean;
  readonly inProcess: { readonly warmupMs: number; readonly roundMs: number; readonly rounds: number };
  readonly perId: { readonly concurrency: number; readonly roundMs: number; readonly rounds: number; readonly warmupMs: number };
  /** Loopback, then through the fault proxy at `latencyMsEachWay`. */
  readonly reservation: ReservationSettings;
  readonly reservationFar: ReservationSettings & { readonly latencyMsEachWay: number };
  readonly farDatabase: FarDatabaseSettings;
  readonly dbLoad: DbLoadSettings;
  readonly http: HttpSettings;
  readonly tags: TagsSettings;
  readonly nodes: NodesSettings;
}

/** The figures of the issue; about 6 minutes on the 2-core VM. */
export const FULL: BenchSettings = {
  quick: false,
  inProcess: { warmupMs: 500, roundMs: 1000, rounds: 5 },
  perId: { concurrency: 32, roundMs: 2000, rounds: 3, warmupMs: 500 },
  reservation: { step: 1000, concurrency: 32, sequentialPerMethod: 2000, warmupPerMethod: 100, rounds: 3, concurrentRoundMs: 1000 },
  reservationFar: {
    latencyMsEachWay: 30,
    step: 1000,
    concurrency: 32,
    sequentialPerMethod: 30,
    warmupPerMethod: 2,
    rounds: 3,
    concurrentRoundMs: 4000,
  },
  farDatabase: {
    latencyMsEachWay: 30,
    warmupMs: 2000,
    steadyMs: 20_000,
    burstMs: 5000,
    steadyRate: 100_000,
    burstFactor: 10,
    windowMs: 250,
    step: 1000,
  },
  dbLoad: { ids: 1_000_000, step: 1000 },
  http: { connections: 64, durationS: 10, warmupS: 3, rounds: 3 },
  tags: { tags: 10_000, restarts: 3, step: 1000 },
  nodes: { counts: [1, 2, 4], roundMs: 3000, rounds: 3 },
};

/** Every section, every code path, a fraction of the time: a smoke run (about a minute). Its figures are noise. */
export const QUICK: BenchSettings = {
  quick: true,
  inProcess: { warmupMs: 150, roundMs: 250, rounds: 1 },
  perId: { concurrency: 32, roundMs: 300, rounds: 1, warmupMs: 100 },
  reservation: { step: 1000, concurrency: 32, sequentialPerMethod: 60, warmupPerMethod: 10, rounds: 1, concurrentRoundMs: 300 },
  reservationFar: {
    latencyMsEachWay: 30,
    step: 1000,
    concurrency: 32,
    sequentialPerMethod: 3,
    warmupPerMethod: 1,
    rounds: 1,
    concurrentRoundMs: 500,
  },
  farDatabase: { ...FULL.farDatabase, warmupMs: 500, steadyMs: 2000, burstMs: 1000 },
  dbLoad: { ids: 1_000_000, step: 1000 },
  http: { connections: 64, durationS: 1, warmupS: 1, rounds: 1 },
  tags: { tags: 10_000, restarts: 1, step: 1000 },
  nodes: { counts: [1, 2, 4], roundMs: 500, rounds: 1 },
};

export interface CommandLine {
  readonly settings: BenchSettings;
  readonly sections: ReadonlySet<Section>;
  /** In-process cases to run (all when undefined): to profile one case alone. */
  readonly cases?: ReadonlySet<string>;
}

/** `--quick` (or LEAF_BENCH_QUICK=1) and `--only=inProcess,http` (or LEAF_BENCH_ONLY). */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): CommandLine {
  let quick = env.LEAF_BENCH_QUICK === '1' || env.LEAF_BENCH_QUICK === 'true';
  let only = env.LEAF_BENCH_ONLY;
  let cases = env.LEAF_BENCH_CASES;
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg.startsWith('--only=')) only = arg.slice('--only='.length);
    else if (arg.startsWith('--cases=')) cases = arg.slice('--cases='.length);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        `usage: npm run bench [-- --quick] [-- --only=${SECTIONS.join(',')}]\n` +
          '  --quick   every section briefly (a smoke run)\n' +
          '  --only=   a comma-separated subset of sections\n' +
          '  --cases=  a subset of the in-process cases (floor, bigint, nextId, nextIds, bigintArray, snowflake, randomUuid)\n' +
          'A full run writes bench/results/latest.{json,svg}; --quick and --only write dist/bench/results/ instead.\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}; try --help`);
  }
  const sections = new Set<Section>(SECTIONS);
  if (only) {
    sections.clear();
    for (const name of only.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`unknown section ${name}; one of ${SECTIONS.join(', ')}`);
      sections.add(name as Section);
    }
  }
  const caseSet = cases ? new Set(cases.split(',').map((c) => c.trim()).filter(Boolean)) : undefined;
  return { settings: quick ? QUICK : FULL, sections, ...(caseSet && { cases: caseSet }) };
}
