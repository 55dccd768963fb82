import { afterEach } from '@jest/globals';
import { IdGenerator } from './id-generator.js';
import { resolveLeafOptions, type LeafModuleOptions } from './leaf.options.js';
import type { LeafTagSnapshot, ReservationEvent } from './segment/segment.types.js';
import type { InMemoryLeafStore } from './testing/in-memory-leaf.store.js';

/*
 * What the specs that run a real IdGenerator on InMemoryLeafStore share. Not part of the package: the library build
 * leaves `*.spec-helpers.ts` out, as it does the specs.
 */

/**
 * Makes generators on a store with `defaults` under each call's options, not yet started, and closes every one
 * after its test (closing twice is harmless). Call it at the top of a spec file: it registers an `afterEach`.
 */
export function generatorsWith(defaults: LeafModuleOptions) {
  const made: IdGenerator[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((ids) => ids.close()));
  });
  return (store: InMemoryLeafStore, options: Partial<LeafModuleOptions> = {}): IdGenerator => {
    const ids = new IdGenerator(resolveLeafOptions({ ...defaults, ...options }), store);
    made.push(ids);
    return ids;
  };
}

/** Every reservation attempt of `ids` from now on (subscribe before `start()` to hear the startup ones). */
export function recordReservations(ids: IdGenerator): ReservationEvent[] {
  const events: ReservationEvent[] = [];
  ids.onReservation((event) => events.push(event));
  return events;
}

export function tagSnapshot(ids: IdGenerator, tag: string): LeafTagSnapshot {
  const snapshot = ids.inspect().find((s) => s.tag === tag);
  if (snapshot === undefined) throw new Error(`IdGenerator.inspect() has no tag "${tag}"`);
  return snapshot;
}

/**
 * Waits until no reservation of `tag` is in flight (a background prefetch landed). The in-memory store answers
 * within a few promise turns, so this waits on promise turns alone and works under fake timers too.
 */
export async function settled(ids: IdGenerator, tag: string): Promise<void> {
  for (let turns = 0; tagSnapshot(ids, tag).loading; turns++) {
    if (turns > 10_000) throw new Error(`a reservation of "${tag}" is still in flight after 10,000 promise turns`);
    await Promise.resolve();
  }
}

// The same checks as the tests and the bench use.
export { expectStrictlyIncreasing, expectUnique } from '../../../harness/assertions.js';
