import { expect } from '@jest/globals';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fails with the first duplicate, rather than a diff of two huge arrays. */
export function expectUnique(ids: readonly bigint[]): void {
  const seen = new Set<bigint>();
  const duplicates = ids.filter((id) => seen.size === seen.add(id).size);
  expect(duplicates.slice(0, 5)).toEqual([]);
}

/** Fails with the first place the order breaks. */
export function expectStrictlyIncreasing(ids: readonly bigint[]): void {
  const at = ids.findIndex((id, i) => i > 0 && id <= ids[i - 1]);
  expect(at === -1 ? null : { at, previous: ids[at - 1], id: ids[at] }).toBeNull();
}
