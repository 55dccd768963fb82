import { describe, expect, it } from '@jest/globals';
import { getMetadataArgsStorage } from 'typeorm';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { LeafId } from './leaf-id.decorator.js';
import { leafIdOf } from './leaf-id.registry.js';

describe('@LeafId', () => {
  it('declares a bigint primary column with the transformer, and marks the class for its tag', () => {
    class Order {
      @LeafId('order', { name: 'order_id' }) id!: bigint;
    }
    const column = getMetadataArgsStorage().columns.find((c) => c.target === Order && c.propertyName === 'id');
    expect(column?.options).toMatchObject({ type: 'bigint', primary: true, name: 'order_id' });
    expect(column?.options.transformer).toBeDefined();
    expect(leafIdOf(Order)).toEqual({ property: 'id', bizTag: 'order' });
  });

  it('refuses a tag nextId would refuse, and a second key on one class', () => {
    expect(() => LeafId(' ')).toThrow(InvalidArgumentError);
    expect(() => {
      class Twice {
        @LeafId('a') one!: bigint;
        @LeafId('b') two!: bigint;
      }
      return Twice;
    }).toThrow(/@LeafId is on both Twice.one and Twice.two/);
  });
});
