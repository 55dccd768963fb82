import { LeafError } from './leaf.error.js';

/**
 * A call to `IdGenerator`, `LeafAdmin` or `OpaqueIdCodec` got an argument it cannot use. Nothing was reserved,
 * issued or changed.
 */
export class InvalidArgumentError extends LeafError {
  readonly code = 'LEAF_INVALID_ARGUMENT';

  constructor(
    readonly argument: 'bizTag' | 'count' | 'step' | 'description' | 'startAt' | 'id' | 'code' | 'secret',
    message: string,
  ) {
    super(message);
  }
}
