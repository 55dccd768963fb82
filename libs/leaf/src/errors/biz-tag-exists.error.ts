import { LeafError } from './leaf.error.js';

/** `LeafAdmin.createTag` was asked for a tag that already has a row in `leaf_alloc`; nothing was changed. */
export class BizTagExistsError extends LeafError {
  readonly code = 'LEAF_BIZ_TAG_EXISTS';

  constructor(readonly bizTag: string) {
    super(`Biz tag "${bizTag}" already has a row in leaf_alloc; nothing was changed. Use setStep to change its step.`);
  }
}
