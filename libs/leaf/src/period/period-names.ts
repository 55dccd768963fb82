import type { ResolvedBizTag } from '../leaf.defaults.js';

/** `<tag>:<yyyyMMdd>`, `<tag>:<yyyyMM>`, `<tag>:<yyyy>`: the suffix of a period's row. */
const ROW_SUFFIX = /^:(\d{8}|\d{6}|\d{4})$/;

/**
 * The configured period tag a name belongs to, as the tag itself or as one of its rows (`invoice:20261201`):
 * those names are the period tag's to serve, so `nextId` and `LeafAdmin` refuse them with a pointer to it.
 */
export function periodOwner(
  bizTags: readonly ResolvedBizTag[],
  name: string,
): { readonly tag: string; readonly isRow: boolean } | undefined {
  for (const { tag, period } of bizTags) {
    if (period === 'none') continue;
    if (name === tag) return { tag, isRow: false };
    if (name.startsWith(tag) && ROW_SUFFIX.test(name.slice(tag.length))) return { tag, isRow: true };
  }
  return undefined;
}
