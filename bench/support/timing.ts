import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

/**
 * A throughput case. The loop lives inside `run` on purpose: a loop in the harness calling a closure per
 * iteration would become megamorphic across cases and measure the harness instead of the case.
 */
export interface ThroughputCase {
  readonly name: string;
  /** IDs produced by one iteration (1000 for a `nextIds(tag, 1000)` call). */
  readonly idsPerIteration: number;
  /** Runs `iterations` iterations back to back. */
  run(iterations: number): void | Promise<void>;
}

export interface RoundResult {
  readonly ids: number;
  readonly seconds: number;
  readonly idsPerSec: number;
}

export const now = (): number => performance.now();

/**
 * Gives timers and I/O a turn. Without it a loop whose awaits all settle as microtasks would starve the
 * event loop, so a background reservation could never land and every segment would end in a wait.
 */
export const yieldToEventLoop = (): Promise<void> => nextMacrotask();

export function collectGarbage(): void {
  globalThis.gc?.();
}

/** How long one batch should take: long enough to hide the clock and the yield, short enough to let I/O in often. */
const BATCH_TARGET_MS = 1;

/**
 * Runs the case for `warmupMs` so V8 optimizes it, and returns the number of iterations per batch that
 * takes about BATCH_TARGET_MS.
 */
export async function warmUp(c: ThroughputCase, warmupMs: number): Promise<number> {
  let batch = 64;
  const deadline = now() + warmupMs;
  while (now() < deadline) {
    const t0 = now();
    await c.run(batch);
    const elapsed = now() - t0;
    await yieldToEventLoop();
    if (elapsed < BATCH_TARGET_MS / 2) batch *= 2;
    else if (elapsed > BATCH_TARGET_MS * 2) batch = Math.max(1, batch >> 1);
  }
  return batch;
}

/** One timed round of a fixed duration; the clock is read once per batch, never per iteration. */
export async function timeRound(c: ThroughputCase, batch: number, durationMs: number): Promise<RoundResult> {
  let iterations = 0;
  const start = now();
  const deadline = start + durationMs;
  let t: number;
  do {
    await c.run(batch);
    iterations += batch;
    await yieldToEventLoop();
    t = now();
  } while (t < deadline);
  const seconds = (t - start) / 1000;
  const ids = iterations * c.idsPerIteration;
  return { ids, seconds, idsPerSec: ids / seconds };
}
