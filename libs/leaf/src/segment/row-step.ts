import { LeafStoreError } from '../errors/leaf-store.error.js';
import type { LeafAllocRow } from '../store/leaf-store.js';

/** A step a reservation can use: what `leaf_alloc.step` must hold. */
export function isStep(step: number): boolean {
  return Number.isInteger(step) && step > 0;
}

/** The step of a row a tag can be served from; `LeafStoreError` with the fix otherwise. */
export function validStep(row: LeafAllocRow): number {
  if (isStep(row.step)) return row.step;
  throw LeafStoreError.badStep(row.bizTag, row.step);
}
