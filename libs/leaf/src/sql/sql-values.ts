import { LeafStoreError } from '../errors/leaf-store.error.js';
import type { LeafAllocRow } from '../store/leaf-store.js';

/** A `leaf_alloc` record as the generator needs it. */
export function toRow(record: unknown): LeafAllocRow {
  const row = record as { biz_tag: string; step: number | string };
  return { bizTag: row.biz_tag, step: Number(row.step) };
}

/** `max_id` as a bigint; never through an inexact JS number. */
export function toBigInt(value: string | bigint | number, bizTag: string): bigint {
  // A JS number above 2^53 has already lost digits: refuse it rather than risk handing out a duplicate.
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new LeafStoreError(
      `max_id of "${bizTag}" came back from the driver as an inexact number (${value}). ` +
        "Keep the driver's bigNumberStrings / supportBigNumbers options on.",
    );
  }
  return BigInt(value);
}
