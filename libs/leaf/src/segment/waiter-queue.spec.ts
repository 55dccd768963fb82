import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { WaiterQueue, type Waiter } from './waiter-queue.js';

/** A waiter as the buffer parks one: a single call (`ids` null) or a batch. */
function waiter(
  remaining: number,
  ids: bigint[] | null,
  resolve: (value: never) => void,
  reject: (error: unknown) => void,
): Waiter {
  return { remaining, ids, resolve, reject } as Waiter;
}

const HOUR = 3_600_000;

/** A queue with a timeout of 1 s whose callers record how they ended, and when, on the monotonic clock. */
function setup(timeoutMs = 1000) {
  const start = performance.now();
  const ended: Array<{ name: string; error: unknown; atMs: number }> = [];
  let timeouts = 0;
  const queue = new WaiterQueue(timeoutMs, () => new Error(`timed out #${++timeouts}`));
  const push = (name: string, remaining = 1, ids: bigint[] | null = null) =>
    queue.push(
      waiter(
        remaining,
        ids,
        () => ended.push({ name, error: undefined, atMs: performance.now() - start }),
        (error) => ended.push({ name, error, atMs: performance.now() - start }),
      ),
    );
  return { queue, push, ended, timeouts: () => timeouts };
}

/** What each recorded caller was told, by name. */
const messages = (ended: ReturnType<typeof setup>['ended']) =>
  ended.map(({ name, error }) => `${name}: ${error instanceof Error ? error.message : String(error)}`);

describe('WaiterQueue', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('hands waiters out first in, first out, and peeks without removing', () => {
    const { queue } = setup();
    const ids = [0n, 0n];
    const [a, b, c] = [jest.fn(), jest.fn(), jest.fn()];
    queue.push(waiter(1, null, a, jest.fn()));
    queue.push(waiter(2, ids, b, jest.fn()));
    queue.push(waiter(1, null, c, jest.fn()));
    expect(queue.size).toBe(3);
    expect(queue.peek()?.resolve).toBe(a);
    expect(queue.peek()?.resolve).toBe(a);
    expect(queue.shift()?.resolve).toBe(a);
    expect(queue.shift()).toMatchObject({ resolve: b, remaining: 2, ids });
    expect(queue.shift()?.resolve).toBe(c);
    expect([queue.size, queue.peek(), queue.shift()]).toEqual([0, undefined, undefined]);
    expect(jest.getTimerCount()).toBe(0); // an empty queue holds no timer
  });

  it('owes as demand the IDs every waiter still needs, as they are served in place', () => {
    const { queue, push } = setup();
    expect(queue.demand).toBe(0);
    push('single');
    push('batch', 50, new Array<bigint>(50));
    push('another', 7, new Array<bigint>(7));
    expect(queue.demand).toBe(58);
    queue.shift();
    queue.peek()!.remaining -= 20; // a segment landed and filled part of the batch
    expect(queue.demand).toBe(37);
  });

  it('fails a waiter at its own deadline, not before, with a fresh error each', async () => {
    const { push, ended, timeouts } = setup();
    push('first');
    await jest.advanceTimersByTimeAsync(300);
    push('second');
    await jest.advanceTimersByTimeAsync(699);
    expect(ended).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(messages(ended)).toEqual(['first: timed out #1']);
    expect(ended[0].atMs).toBe(1000);
    await jest.advanceTimersByTimeAsync(299);
    expect(ended).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(messages(ended)).toEqual(['first: timed out #1', 'second: timed out #2']);
    expect(ended[1].atMs).toBe(1300);
    expect(timeouts()).toBe(2);
  });

  it('fails together, in order, the waiters whose deadlines a late timer finds passed', async () => {
    const { queue, push, ended } = setup();
    push('a');
    push('b');
    push('c');
    await jest.advanceTimersByTimeAsync(1000);
    expect(messages(ended)).toEqual(['a: timed out #1', 'b: timed out #2', 'c: timed out #3']);
    expect(queue.size).toBe(0);
  });

  it('never times out a waiter taken off the queue, and keeps timing the ones behind it', async () => {
    const { queue, push, ended } = setup();
    push('served');
    await jest.advanceTimersByTimeAsync(500);
    push('behind');
    queue.shift();
    await jest.advanceTimersByTimeAsync(600); // past the first deadline
    expect(ended).toEqual([]);
    expect(queue.size).toBe(1);
    await jest.advanceTimersByTimeAsync(400);
    expect(messages(ended)).toEqual(['behind: timed out #1']);
    expect(ended[0].atMs).toBe(1500);
  });

  it('times a waiter that arrives after the queue emptied from its own arrival', async () => {
    const { queue, push, ended } = setup();
    push('early');
    await jest.advanceTimersByTimeAsync(100);
    queue.shift();
    await jest.advanceTimersByTimeAsync(400);
    push('late');
    await jest.advanceTimersByTimeAsync(999);
    expect(ended).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(ended).toMatchObject([{ name: 'late', atMs: 1500 }]);
  });

  it('rejects every waiter with the error given, in arrival order, and leaves no timer behind', async () => {
    const { queue, push, ended, timeouts } = setup();
    push('a');
    push('b', 5, new Array<bigint>(5));
    const closing = new Error('shutting down');
    queue.rejectAll(closing);
    expect(ended.map(({ name, error }) => [name, error])).toEqual([
      ['a', closing],
      ['b', closing],
    ]);
    expect([queue.size, queue.demand]).toEqual([0, 0]);
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(5000);
    expect(timeouts()).toBe(0);
    expect(ended).toHaveLength(2);
    push('after');
    await jest.advanceTimersByTimeAsync(1000);
    expect(messages(ended).at(-1)).toBe('after: timed out #1');
  });

  it('keeps order and demand across thousands of waiters taken off the front', async () => {
    const { queue, push, ended } = setup();
    for (let i = 0; i < 3000; i++) push(`w${i}`, i + 1);
    for (let i = 0; i < 2000; i++) queue.shift();
    expect(queue.size).toBe(1000);
    expect(queue.demand).toBe((2001 + 3000) * 500); // 2001 … 3000 still owed
    expect(queue.peek()?.remaining).toBe(2001);
    await jest.advanceTimersByTimeAsync(1000);
    expect(ended.map(({ name }) => name)).toEqual(Array.from({ length: 1000 }, (_, i) => `w${2000 + i}`));
  });

  it('keeps deadlines on the monotonic clock when the wall clock steps back or forward an hour', async () => {
    const { push, ended } = setup();
    push('back');
    jest.setSystemTime(Date.now() - HOUR);
    push('forward');
    jest.setSystemTime(Date.now() + 2 * HOUR);
    await jest.advanceTimersByTimeAsync(999);
    expect(ended).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(ended.map(({ name, atMs }) => [name, atMs])).toEqual([
      ['back', 1000],
      ['forward', 1000],
    ]);
  });
});
