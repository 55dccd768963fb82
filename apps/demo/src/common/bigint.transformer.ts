import type { ValueTransformer } from 'typeorm';

/**
 * Keeps BIGINT columns exact as `bigint`. The drivers hand them over as strings (mysql2, pg) or as `bigint`
 * (better-sqlite3 with safe integers); a JavaScript number would lose digits past 2^53.
 */
export const bigintTransformer: ValueTransformer = {
  from: (value: string | bigint | null) => (value === null ? null : BigInt(value)),
  to: (value: bigint | null | undefined) => (value === null || value === undefined ? value : value.toString()),
};

/** Integer columns well inside 2^53, which better-sqlite3 with safe integers returns as `bigint`. */
export const intTransformer: ValueTransformer = {
  from: (value: string | number | bigint | null) => (value === null ? null : Number(value)),
  to: (value: number | null | undefined) => value,
};
