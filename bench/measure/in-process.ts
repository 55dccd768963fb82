import { randomUUID } from 'node:crypto';
import { Snowflake } from '@sapphire/snowflake';
import type { IdGenerator } from 'nest-leaf';
import type { ThroughputCase } from '../support/timing.js';

export const BATCH_SIZE = 1000;

/**
 * The last value of every case ends up here and is checked once, so no loop body is dead code to V8,
 * and a case that stops producing increasing values fails loudly instead of reporting a fast no-op.
 */
export class Sink {
  private readonly last = new Map<string, number | bigint | string>();

  take(name: string, value: number | bigint | string, increasing = true): void {
    const previous = this.last.get(name);
    if (increasing && previous !== undefined && !(value > previous)) {
      throw new Error(`${name}: produced ${value} after ${previous}; the values must keep increasing.`);
    }
    this.last.set(name, value);
  }
}

/** `await f()` of an async function returning a counter: what any Promise-returning ID API costs at least. */
export function floorCase(sink: Sink): ThroughputCase {
  let counter = 0;
  async function next(): Promise<number> {
    return ++counter;
  }
  const name = 'floor: await async ++counter';
  return {
    name,
    idsPerIteration: 1,
    async run(iterations) {
      let last = 0;
      for (let i = 0; i < iterations; i++) last = await next();
      sink.take(name, last);
    },
  };
}

/**
 * A BigInt increment: the cost of producing each `bigint` value, which no ID API returning bigints can beat.
 * `b` is captured, so every value is stored where other code can see it and V8 must allocate each one as a
 * heap BigInt, as it must for an ID handed to a caller. A local `let` would stay in a 64-bit register
 * (Turbofan lowers BigInt additions that fit) and measure a machine add, about 6x faster.
 */
export function bigintCounterCase(sink: Sink): ThroughputCase {
  let b = 0n;
  const name = 'bigint counter: b += 1n';
  return {
    name,
    idsPerIteration: 1,
    run(iterations) {
      for (let i = 0; i < iterations; i++) b += 1n;
      sink.take(name, b);
    },
  };
}

/**
 * What a batch of bigints costs before any generator logic: a new array of BATCH_SIZE filled from a BigInt
 * counter, as `SegmentBuffer.takeInto` fills it. Context for `nextIds`, which cannot be faster than this.
 */
export function bigintArrayCase(sink: Sink): ThroughputCase {
  let b = 0n;
  const name = `bigint array: new Array(${BATCH_SIZE}) of b += 1n`;
  return {
    name,
    idsPerIteration: BATCH_SIZE,
    run(iterations) {
      let last = 0n;
      for (let i = 0; i < iterations; i++) {
        const out = new Array<bigint>(BATCH_SIZE);
        let id = b;
        for (let j = 0; j < BATCH_SIZE; j++) {
          out[j] = id;
          id += 1n;
        }
        b = id;
        last = out[BATCH_SIZE - 1];
      }
      sink.take(name, last);
    },
  };
}

export function nextIdCase(ids: IdGenerator, tag: string, sink: Sink): ThroughputCase {
  const name = `await nextId('${tag}')`;
  return {
    name,
    idsPerIteration: 1,
    async run(iterations) {
      let last = 0n;
      for (let i = 0; i < iterations; i++) last = await ids.nextId(tag);
      sink.take(name, last);
    },
  };
}

/**
 * `nextIdSync`: the same hot path as `nextId` without the promise, as an ORM's default-value hook calls it. When
 * memory runs dry (once per segment) it throws at once; the loop then awaits `nextId`, as a caller would.
 */
export function nextIdSyncCase(ids: IdGenerator, tag: string, sink: Sink): ThroughputCase {
  const name = `nextIdSync('${tag}')`;
  return {
    name,
    idsPerIteration: 1,
    async run(iterations) {
      let last = 0n;
      for (let i = 0; i < iterations; i++) {
        try {
          last = ids.nextIdSync(tag);
        } catch {
          last = await ids.nextId(tag);
        }
      }
      sink.take(name, last);
    },
  };
}

/** A daily period tag's formatted code: a clock read, the ID and two string concatenations more than nextId. */
export function nextCodeCase(ids: IdGenerator, tag: string, sink: Sink): ThroughputCase {
  const name = `await nextCode('${tag}')`;
  return {
    name,
    idsPerIteration: 1,
    async run(iterations) {
      let last = '';
      for (let i = 0; i < iterations; i++) last = await ids.nextCode(tag);
      // Codes compare as numbers, not strings: "…-1000000" follows "…-999999".
      sink.take(name, ids.parseCode(tag, last).seq);
    },
  };
}

export function nextIdsCase(ids: IdGenerator, tag: string, sink: Sink): ThroughputCase {
  const name = `await nextIds('${tag}', ${BATCH_SIZE})`;
  return {
    name,
    idsPerIteration: BATCH_SIZE,
    async run(iterations) {
      let last = 0n;
      for (let i = 0; i < iterations; i++) {
        const batch = await ids.nextIds(tag, BATCH_SIZE);
        last = batch[BATCH_SIZE - 1];
      }
      sink.take(name, last);
    },
  };
}

/**
 * `nextId` from `callers` concurrent async loops, each awaiting its own calls: the shape of the per-ID
 * database baselines (32 concurrent connections), so their ratio compares like with like.
 */
export function nextIdConcurrentCase(ids: IdGenerator, tag: string, callers: number, sink: Sink): ThroughputCase {
  const name = `await nextId('${tag}'), ${callers} concurrent callers`;
  async function caller(iterations: number): Promise<bigint> {
    let last = 0n;
    for (let i = 0; i < iterations; i++) last = await ids.nextId(tag);
    return last;
  }
  return {
    name,
    idsPerIteration: callers,
    async run(iterations) {
      const lasts = await Promise.all(Array.from({ length: callers }, () => caller(iterations)));
      // Each caller's own IDs increase; across callers they interleave, so only the largest is checked.
      let max = 0n;
      for (const last of lasts) if (last > max) max = last;
      sink.take(name, max);
    },
  };
}

/**
 * The floor with `callers` concurrent async loops: the ceiling of any Promise-returning ID API in the shape of
 * the per-ID database baselines, so a ratio against the database can be read against what is reachable at all.
 */
export function floorConcurrentCase(callers: number, sink: Sink): ThroughputCase {
  let counter = 0;
  async function next(): Promise<number> {
    return ++counter;
  }
  const name = `floor: await async ++counter, ${callers} concurrent callers`;
  async function caller(iterations: number): Promise<number> {
    let last = 0;
    for (let i = 0; i < iterations; i++) last = await next();
    return last;
  }
  return {
    name,
    idsPerIteration: callers,
    async run(iterations) {
      const lasts = await Promise.all(Array.from({ length: callers }, () => caller(iterations)));
      sink.take(name, Math.max(...lasts));
    },
  };
}

/** The usual in-process alternative: no database, but 64-bit time-based IDs. */
export function snowflakeCase(sink: Sink): ThroughputCase {
  const snowflake = new Snowflake(Date.UTC(2024, 0, 1));
  const name = '@sapphire/snowflake generate()';
  return {
    name,
    idsPerIteration: 1,
    run(iterations) {
      let last = 0n;
      for (let i = 0; i < iterations; i++) last = snowflake.generate();
      // Not checked for increase: its 12-bit sequence wraps within a millisecond in a tight loop.
      sink.take(name, last, false);
    },
  };
}

/** Random 122-bit IDs, no coordination and no order: what many apps use instead of a generator. */
export function randomUuidCase(sink: Sink): ThroughputCase {
  const name = 'crypto.randomUUID()';
  return {
    name,
    idsPerIteration: 1,
    run(iterations) {
      let last = '';
      for (let i = 0; i < iterations; i++) last = randomUUID();
      // Random, so not increasing.
      sink.take(name, last, false);
    },
  };
}
