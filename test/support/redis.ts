import { Logger } from '@nestjs/common';
import { jest } from '@jest/globals';
import { IdGenerator, type LeafModuleOptions, type LeafStore } from 'nest-leaf';
// Not public: the generator is built by hand here, as LeafModule builds it.
import { resolveLeafOptions } from '../../libs/leaf/src/leaf.options.js';

/** The shared Redis of simple tests: nothing on disk, not a cluster. Suites keep to a key prefix of their own. */
export { deleteKeys, REDIS as SHARED_REDIS } from '../../harness/redis.js';

/**
 * Generators over a store, built by hand as `LeafModule` builds them (`IdGenerator` over the resolved options),
 * started, and closed by `closeAll()`.
 */
export class Generators {
  private readonly all: IdGenerator[] = [];

  async start(store: LeafStore, options: LeafModuleOptions): Promise<IdGenerator> {
    const ids = new IdGenerator(resolveLeafOptions(options), store);
    this.all.push(ids);
    await ids.start();
    return ids;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.all.splice(0).map((ids) => ids.close()));
  }
}

/** The messages Nest's `Logger` gets at each level from now on, kept out of the test output. */
export function captureLogs(): { warn: string[]; log: string[]; restore(): void } {
  const warn: string[] = [];
  const log: string[] = [];
  const spies = [
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warn.push(String(message))),
    jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => void log.push(String(message))),
  ];
  return { warn, log, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

/**
 * Latency of `reserve()` one call at a time (no concurrency: the round trip itself), after a warm-up, in ms.
 * The tag must exist; `n` reservations of `step` move it by `n * step`.
 */
export async function reserveLatency(store: LeafStore, tag: string, n: number, step = 1000): Promise<number[]> {
  for (let i = 0; i < 50; i++) await store.reserve(tag, step);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await store.reserve(tag, step);
    samples.push(performance.now() - started);
  }
  return samples;
}

/** A line for the test output: `p50 0.21 ms, p99 0.52 ms, max 1.3 ms (n = 2000)`. */
export function latencyLine(samples: readonly number[]): string {
  const { p50, p99, max } = percentiles(samples);
  const ms = (value: number) => `${value.toFixed(value < 1 ? 3 : 2)} ms`;
  return `p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(max)} (n = ${samples.length})`;
}

/** p50 / p99 / max of latencies, ms. */
export function percentiles(samples: readonly number[]): { p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}
