import { LeafError } from './leaf.error.js';

/**
 * A call to `nextId` / `nextIds` got a biz tag or a count it cannot serve. Nothing was reserved or issued.
 */
export class InvalidArgumentError extends LeafError {
  readonly code = 'LEAF_INVALID_ARGUMENT';

  constructor(
    readonly argument: 'bizTag' | 'count',
    message: string,
  ) {
    super(message);
  }
}
