import { describe, expect, it } from '@jest/globals';
import { bigintsToStrings } from './bigint.interceptor.js';

describe('bigintsToStrings', () => {
  it('writes every bigint as its exact decimal string, deep in arrays and objects', () => {
    const big = 9_223_372_036_854_775_807n;
    expect(bigintsToStrings({ id: big, lines: [{ id: 1n }, { id: 2n, n: 3 }], at: 'x' })).toEqual({
      id: '9223372036854775807',
      lines: [{ id: '1' }, { id: '2', n: 3 }],
      at: 'x',
    });
    expect(JSON.stringify(bigintsToStrings([1n, [2n]]))).toBe('["1",["2"]]');
  });

  it('returns what holds no bigint as it is, untouched and uncopied', () => {
    const plain = { a: 1, b: ['x', { c: null }] };
    expect(bigintsToStrings(plain)).toBe(plain);
    const date = new Date(0);
    expect((bigintsToStrings({ date }) as { date: Date }).date).toBe(date);
    const buffer = Buffer.from('id');
    expect(bigintsToStrings(buffer)).toBe(buffer);
  });

  it("leaves an object with its own toJSON to it, and walks a class instance's fields otherwise", () => {
    class Order {
      constructor(readonly id: bigint) {}
    }
    expect(bigintsToStrings(new Order(7n))).toEqual({ id: '7' });
    const custom = { id: 1n, toJSON: () => 'custom' };
    expect(bigintsToStrings(custom)).toBe(custom);
  });
});
