import { LeafError } from './leaf.error.js';

/**
 * `LeafModule.forRoot()` / `forRootAsync()` got an option it cannot use. Thrown at bootstrap.
 */
export class InvalidLeafOptionsError extends LeafError {
  readonly code = 'LEAF_INVALID_OPTIONS';

  constructor(
    readonly option: string,
    readonly problem: string,
  ) {
    super(`Invalid LeafModule option "${option}": ${problem}`);
  }
}
