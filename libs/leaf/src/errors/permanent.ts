import { IdOverflowError } from './id-overflow.error.js';
import { InvalidLeafOptionsError } from './invalid-leaf-options.error.js';
import { LeafForbiddenError } from './leaf-forbidden.error.js';
import { LeafStoreError } from './leaf-store.error.js';
import { UnknownBizTagError } from './unknown-biz-tag.error.js';

/** Errors that retrying will not cure. */
export function isPermanent(error: unknown): boolean {
  return (
    error instanceof UnknownBizTagError ||
    error instanceof IdOverflowError ||
    error instanceof LeafStoreError ||
    error instanceof LeafForbiddenError ||
    error instanceof InvalidLeafOptionsError
  );
}
