import { LeafError } from './leaf.error.js';

/**
 * Reserving the next segment would push `max_id` past 2^63-1 (the largest signed BIGINT). Nothing was reserved.
 */
export class IdOverflowError extends LeafError {
  readonly code = 'LEAF_ID_OVERFLOW';

  constructor(
    readonly bizTag: string,
    readonly maxId: bigint,
    readonly step: number,
  ) {
    super(
      `Biz tag "${bizTag}" is exhausted: max_id ${maxId} + step ${step} would pass 2^63-1. ` +
        `Start a new biz tag for this sequence; leaf_alloc was not changed.`,
    );
  }
}
