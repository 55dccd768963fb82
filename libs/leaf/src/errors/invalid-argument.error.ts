import { describeValue } from './describe-value.js';
import { LeafError } from './leaf.error.js';

/**
 * A call to `IdGenerator`, `LeafAdmin` or `OpaqueIdCodec` got an argument it cannot use. Nothing was reserved,
 * issued or changed.
 */
export class InvalidArgumentError extends LeafError {
  readonly code = 'LEAF_INVALID_ARGUMENT';

  constructor(
    readonly argument:
      | 'bizTag'
      | 'count'
      | 'step'
      | 'description'
      | 'startAt'
      | 'id'
      | 'code'
      | 'secret'
      | 'skip'
      | 'manager'
      | 'table'
      | 'column'
      | 'period',
    message: string,
  ) {
    super(message);
  }

  /** A period tag's row (`invoice:20261201`) asked for by name: its numbers are the period tag's to hand out. */
  /** A batch `count` out of range for `method` (`nextIds`, `nextIdsSync`, `nextCodes`). */
  static badCount(method: string, count: unknown, maxBatchSize: number): InvalidArgumentError {
    return new InvalidArgumentError(
      'count',
      `${method} count must be an integer from 1 to ${maxBatchSize} (maxBatchSize), got ${describeValue(count)}.`,
    );
  }

  static periodRow(row: string, tag: string): InvalidArgumentError {
    return new InvalidArgumentError(
      'bizTag',
      `"${row}" is a row of the period tag "${tag}": ask for "${tag}" (nextId, nextCode), which takes from the ` +
        "row of the period the clock is in, so that the period's numbers stay one sequence.",
    );
  }

  /** `LeafAdmin.createTag` of a configured period tag, or of one of its rows: those rows are created on demand. */
  static periodTagRows(bizTag: string, tag: string): InvalidArgumentError {
    return new InvalidArgumentError(
      'bizTag',
      `"${bizTag}" ${bizTag === tag ? 'is a period tag' : `is a row of the period tag "${tag}"`}: its rows ` +
        `("${tag}:<period>") are created on demand, with the step of its bizTags entry. Change that entry's step ` +
        `for periods to come, or setStep("${tag}:<period>") for one period's row.`,
    );
  }

  /** A gapless tag asked of `nextId`, `nextIds`, `nextCode` or `LeafAdmin`: its numbers live in `leaf_gapless`. */
  static gaplessTag(bizTag: string): InvalidArgumentError {
    return new InvalidArgumentError(
      'bizTag',
      `"${bizTag}" is a gapless tag: take its numbers inside your transaction with nextGapless("${bizTag}", ` +
        '{ manager }) or nextGaplessCode. nextId, nextIds and nextCode serve segment tags (unique numbers, with gaps), ' +
        'whose rows are in leaf_alloc.',
    );
  }

  /** `nextGapless` of a tag that is configured, but as a segment tag. */
  static notGapless(bizTag: string): InvalidArgumentError {
    return new InvalidArgumentError(
      'bizTag',
      `"${bizTag}" is a segment tag (nextId, nextCode: unique numbers, with gaps), not a gapless series. To number ` +
        `it without gaps, configure it as { tag: '${bizTag}', gapless: true } in bizTags (its numbers then come ` +
        'from nextGapless only).',
    );
  }
}
