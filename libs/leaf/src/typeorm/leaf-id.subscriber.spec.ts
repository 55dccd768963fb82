import { describe, expect, it } from '@jest/globals';
import type { EntityMetadata, InsertEvent } from 'typeorm';
import type { LeafIdSource } from '../leaf-id-source.js';
import { markLeafId } from './leaf-id.registry.js';
import { LeafIdSubscriber } from './leaf-id.subscriber.js';

class Order {}
class Line {}
class Plain {}
markLeafId(Order, 'id', 'order');
markLeafId(Line, 'lineId', 'line');

/** A source that counts its calls and numbers IDs per tag from 1; or fails when told to. */
function source(failure?: Error): LeafIdSource & { calls: Array<[string, number]> } {
  const next = new Map<string, bigint>();
  const calls: Array<[string, number]> = [];
  return {
    calls,
    nextIds: async (tag, count) => {
      calls.push([tag, count]);
      if (failure) throw failure;
      const from = next.get(tag) ?? 1n;
      next.set(tag, from + BigInt(count));
      return Array.from({ length: count }, (_, i) => from + BigInt(i));
    },
  };
}

/** What TypeORM does for one statement: beforeInsert for every row, then one await of all. */
function insert(subscriber: LeafIdSubscriber, rows: Array<[object, Record<string, unknown>]>): Promise<unknown> {
  const waits = rows.map(([target, entity]) =>
    subscriber.beforeInsert({ metadata: { target } as unknown as EntityMetadata, entity } as InsertEvent<unknown>),
  );
  return Promise.all(waits);
}

describe('LeafIdSubscriber', () => {
  it("takes one nextIds per tag for a statement's rows, in chunks of maxBatchSize, and skips keys given", async () => {
    const ids = source();
    const rows: Array<[object, Record<string, unknown>]> = [
      ...Array.from({ length: 5 }, () => [Order, {}] as [object, Record<string, unknown>]),
      [Order, { id: 99n }],
      [Line, {}],
      [Plain, {}],
    ];
    await insert(new LeafIdSubscriber(ids, 2), rows);
    expect(ids.calls).toEqual([
      ['order', 2],
      ['order', 2],
      ['order', 1],
      ['line', 1],
    ]);
    expect(rows.map(([, row]) => row.id ?? row.lineId)).toEqual([1n, 2n, 3n, 4n, 5n, 99n, 1n, undefined]);
  });

  it("fails every row of the batch with the generator's error", async () => {
    const failure = new Error('no segment');
    await expect(
      insert(new LeafIdSubscriber(source(failure)), [
        [Order, {}],
        [Order, {}],
      ]),
    ).rejects.toBe(failure);
  });

  it('gathers separate statements separately', async () => {
    const ids = source();
    const subscriber = new LeafIdSubscriber(ids);
    await insert(subscriber, [[Order, {}]]);
    await insert(subscriber, [
      [Order, {}],
      [Order, {}],
    ]);
    expect(ids.calls).toEqual([
      ['order', 1],
      ['order', 2],
    ]);
  });
});
