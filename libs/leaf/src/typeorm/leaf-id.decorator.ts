import { PrimaryColumn, type PrimaryColumnOptions } from 'typeorm';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { bizTagProblem } from '../leaf.options-validation.js';
import { bigintTransformer } from './bigint.transformer.js';
import { markLeafId } from './leaf-id.registry.js';

/** The column options `@LeafId` passes on to `@PrimaryColumn` (its name, comment, …); type and transformer are its own. */
export type LeafIdColumnOptions = Omit<PrimaryColumnOptions, 'type' | 'transformer'>;

/**
 * The entity's primary key, filled from `bizTag` when a row is inserted: declares the column as
 * `@PrimaryColumn({ type: 'bigint', transformer: bigintTransformer })` (so the property is a `bigint` when read
 * back), and marks it for the subscriber `LeafModule` registers on the app's DataSource. Use it instead of
 * `@PrimaryColumn`, not with it.
 *
 * ```ts
 * @Entity()
 * export class Order {
 *   @LeafId('order') id!: bigint;
 *   @Column() total!: number;
 * }
 * ```
 * A key the caller sets is kept. The tag is served as any other: list it in `bizTags` (or have its row in
 * `leaf_alloc`). A subclass inherits the key of its base class.
 *
 * @throws InvalidArgumentError when `bizTag` is not a tag `nextId` would take (at class definition)
 */
export function LeafId(bizTag: string, options: LeafIdColumnOptions = {}): PropertyDecorator {
  const problem = bizTagProblem(bizTag);
  if (problem !== undefined) throw new InvalidArgumentError('bizTag', `@LeafId: ${problem}.`);
  const column = PrimaryColumn({ ...options, type: 'bigint', transformer: bigintTransformer });
  return (prototype, property) => {
    if (typeof property === 'symbol') throw new TypeError('@LeafId goes on a named property, not a symbol.');
    markLeafId(prototype.constructor, property, bizTag);
    column(prototype, property);
  };
}
