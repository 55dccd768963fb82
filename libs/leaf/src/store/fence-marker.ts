/**
 * The name of the failover fence's marker: a row of `leaf_alloc` (SQL) or a hash (Redis) that no tag may take.
 * Stores keep it out of `listTags`; `bizTagProblem` refuses it and its look-alikes.
 */
export const FENCE_MARKER = '__nest_leaf_fence__';

/** Combining marks, which an accent-insensitive collation ignores. */
const MARKS = /\p{M}/gu;

/**
 * Whether `tag` is the marker's name, or a spelling a loose collation takes for it (MySQL's default
 * `utf8mb4_general_ci` ignores case and accents, PAD SPACE collations ignore trailing spaces, NFKC folds full-width
 * letters): such a tag would find, or move, the marker's row.
 */
export function looksLikeFenceMarker(tag: string): boolean {
  const folded = tag.normalize('NFKD').replace(MARKS, '').toLowerCase().trimEnd();
  return folded === FENCE_MARKER || folded.startsWith(`${FENCE_MARKER}{`);
}
