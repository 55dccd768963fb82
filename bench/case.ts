import type { BenchSettings } from './settings.js';
import type { Ratio } from './support/ratio.js';

/** What a case gets to run with. */
export interface CaseContext {
  readonly settings: BenchSettings;
  /** A progress line, to stderr. */
  readonly progress: (line: string) => void;
  /** `--cases=`: the in-process cases to run, all when undefined (to profile one alone). */
  readonly only?: ReadonlySet<string>;
}

/**
 * One section of the bench: what it measures, how it judges and shows it. The registry (registry.ts) lists
 * them in the order they run; run.ts runs each in a Node process of its own and hands the result back to it.
 */
export interface BenchCase<R = unknown> {
  /** `--only=<name>`; the `section` of its ratios. */
  readonly name: string;
  /** Measures. Its result crosses a process boundary (IPC, 'advanced' serialization): plain data. */
  run(context: CaseContext): Promise<R>;
  /** Its ratios, keyed as in the results JSON, each the median of per-round ratios, goals judged. */
  ratios(result: R, settings: BenchSettings): Record<string, Ratio>;
  /** Its title line(s) and table(s), for stdout. */
  table(result: R, settings: BenchSettings): string;
  /** Its rows of `cases` in the results JSON. */
  json(result: R, settings: BenchSettings): object[];
}
