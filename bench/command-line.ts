import { CASE_NAMES } from './registry.js';
import { FULL, QUICK, type BenchSettings } from './settings.js';

export interface CommandLine {
  readonly settings: BenchSettings;
  /** The cases to run, by name. */
  readonly sections: ReadonlySet<string>;
  /** In-process cases to run (all when undefined): to profile one case alone. */
  readonly cases?: ReadonlySet<string>;
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `--quick` (or LEAF_BENCH_QUICK=1), `--only=inProcess,http` (or LEAF_BENCH_ONLY), `--cases=` (or LEAF_BENCH_CASES). */
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
        `usage: npm run bench [-- --quick] [-- --only=${CASE_NAMES.join(',')}]\n` +
          '  --quick   every section briefly (a smoke run)\n' +
          '  --only=   a comma-separated subset of sections\n' +
          '  --cases=  a subset of the in-process cases (floor, bigint, nextId, nextIdSync, nextCode, nextIds, bigintArray, snowflake, randomUuid)\n' +
          'A full run writes bench/results/latest.{json,svg}; --quick and --only write dist/bench/results/ instead.\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}; try --help`);
  }
  const sections = new Set<string>(only ? list(only) : CASE_NAMES);
  for (const name of sections) {
    if (!CASE_NAMES.includes(name)) throw new Error(`unknown section ${name}; one of ${CASE_NAMES.join(', ')}`);
  }
  const caseSet = cases ? new Set(list(cases)) : undefined;
  return { settings: quick ? QUICK : FULL, sections, ...(caseSet && { cases: caseSet }) };
}
