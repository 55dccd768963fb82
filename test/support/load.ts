import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { IdGenerator } from 'nest-leaf';
import { sleep } from '../../harness/assertions.js';

/** One failed call: what it threw, when it started and how long it took to fail. */
export interface FailedCall {
  readonly error: unknown;
  readonly at: number;
  readonly ms: number;
}

export interface LoadResult {
  /** IDs in the order their promises resolved, which for one tag is the order they were issued. */
  readonly ids: bigint[];
  /** Latency of every successful call, ms. */
  readonly latencies: number[];
  readonly failures: FailedCall[];
}

export interface SteadyLoad {
  /** Stops the callers and waits for the calls in flight. */
  stop(): Promise<LoadResult>;
}

/**
 * `concurrency` callers asking for `rate` IDs of `tag` per second in all, paced against the clock so a slow
 * stretch is not made up for by a burst afterwards.
 */
export function steadyLoad(
  ids: IdGenerator,
  tag: string,
  { rate, concurrency }: { rate: number; concurrency: number },
): SteadyLoad {
  const result: LoadResult = { ids: [], latencies: [], failures: [] };
  let running = true;
  const intervalMs = (1000 * concurrency) / rate;
  const loops = Array.from({ length: concurrency }, async (_, loop) => {
    const started = performance.now() + (loop * intervalMs) / concurrency;
    for (let n = 0; running; n++) {
      const due = started + n * intervalMs;
      const ahead = due - performance.now();
      if (ahead >= 1) await sleep(ahead);
      else if (ahead < -1000) n += Math.floor(-ahead / intervalMs); // a stall of the test itself: skip, do not burst
      const at = performance.now();
      try {
        const id = await ids.nextId(tag);
        const now = performance.now();
        result.ids.push(id);
        result.latencies.push(now - at);
      } catch (error) {
        result.failures.push({ error, at, ms: performance.now() - at });
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

/** What the calls that began in one phase of an open-loop load came to. */
export interface PhaseOutcome {
  calls: number;
  failures: number;
  slowestFailureMs: number;
  /** The classes of the errors: a summary, since keeping every error would itself grow the heap. */
  readonly errorTypes: Set<unknown>;
}

export interface OpenLoad {
  /** Every ID, in the order they arrived. */
  readonly ids: bigint[];
  readonly phases: Map<string, PhaseOutcome>;
  /** Calls from now on count in `name`. */
  phase(name: string): void;
  stop(): Promise<void>;
}

/**
 * Open-loop load: `rate` calls per second whether or not earlier ones have answered, as requests arrive at a
 * server. Unlike `steadyLoad`, a slow answer does not slow the callers, so a queue that never drains shows.
 */
export function openLoad(ids: IdGenerator, tag: string, { rate }: { rate: number }): OpenLoad {
  const issued: bigint[] = [];
  const phases = new Map<string, PhaseOutcome>();
  const pending = new Set<Promise<void>>();
  const perTick = Math.max(1, Math.round(rate / 100));
  let current: PhaseOutcome;
  const phase = (name: string) => {
    current = { calls: 0, failures: 0, slowestFailureMs: 0, errorTypes: new Set() };
    phases.set(name, current);
  };
  phase('start');
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) {
      const outcome = current;
      const at = performance.now();
      outcome.calls++;
      const call = ids.nextId(tag).then(
        (id) => void issued.push(id),
        (error: unknown) => {
          outcome.failures++;
          outcome.slowestFailureMs = Math.max(outcome.slowestFailureMs, performance.now() - at);
          outcome.errorTypes.add((error as object | null)?.constructor);
        },
      );
      pending.add(call);
      void call.finally(() => pending.delete(call));
    }
  }, 10);
  return {
    ids: issued,
    phases,
    phase,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

/** The `q` quantile (0..1) of `values`, ms. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Heap in use after a full collection, so two readings compare what is retained rather than garbage. */
export function retainedHeap(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  return process.memoryUsage().heapUsed;
}
