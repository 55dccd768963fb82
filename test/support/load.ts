import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { IdGenerator } from '@app/leaf';
import { sleep } from './assertions.js';

/** One failed call: what it threw, when it started and how long it took to fail. */
export interface FailedCall {
  readonly error: unknown;
  readonly at: number;
  readonly ms: number;
}

export interface LoadResult {
  /** IDs in the order their promises resolved, which for one tag is the order they were issued. */
  readonly ids: bigint[];
  /** `performance.now()` when each ID arrived, parallel to `ids`. */
  readonly arrivals: number[];
  /** Latency of every successful call, ms. */
  readonly latencies: number[];
  readonly failures: FailedCall[];
}

export interface SteadyLoad {
  readonly result: LoadResult;
  /** Stops the callers and waits for the calls in flight. */
  stop(): Promise<LoadResult>;
}

/**
 * `concurrency` callers asking for `rate` IDs of `tag` per second in all, paced against the clock so a slow
 * stretch is not made up for by a burst afterwards.
 */
export function steadyLoad(ids: IdGenerator, tag: string, { rate, concurrency }: { rate: number; concurrency: number }): SteadyLoad {
  const result: LoadResult = { ids: [], arrivals: [], latencies: [], failures: [] };
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
        result.arrivals.push(now);
        result.latencies.push(now - at);
      } catch (error) {
        result.failures.push({ error, at, ms: performance.now() - at });
      }
    }
  });
  return {
    result,
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
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
