import type { ResolvedBizTag } from '../leaf.defaults.js';
import { periodKeyLength } from '../calendar.js';
import { type LeafPeriod } from '../leaf.defaults.js';

/** `<tag>:<yyyyMMdd>`, `<tag>:<yyyyMM>`, `<tag>:<yyyy>`: the name of a period's row. */
const PERIOD_ROW = /^(.+):(\d{8}|\d{6}|\d{4})$/;

/** The row of `tag` for the period `key`: `invoice:20261201`. */
export function periodRowName(tag: string, key: string): string {
  return `${tag}:${key}`;
}

/** The period tag and period a row name is made of, if it has the shape of one (`invoice:20261201`). */
export function periodRowParts(name: string): { readonly tag: string; readonly key: string } | undefined {
  const match = PERIOD_ROW.exec(name);
  return match === null ? undefined : { tag: match[1], key: match[2] };
}

/** The characters a period adds to its tag in the row's name: `:20261201` is 9. */
export function periodRowSuffixLength(period: LeafPeriod): number {
  return period === 'none' ? 0 : 1 + periodKeyLength(period);
}

/**
 * The configured period tag a name belongs to, as the tag itself or as one of its rows (`invoice:20261201`):
 * those names are the period tag's to serve, so `nextId` and `LeafAdmin` refuse them with a pointer to it.
 */
export function periodOwner(
  bizTags: readonly ResolvedBizTag[],
  name: string,
): { readonly tag: string; readonly isRow: boolean } | undefined {
  const row = periodRowParts(name);
  for (const { tag, period, gapless } of bizTags) {
    // A gapless series counts its periods in leaf_gapless: no leaf_alloc row has its name.
    if (period === 'none' || gapless) continue;
    if (name === tag) return { tag, isRow: false };
    if (row?.tag === tag && row.key.length === periodKeyLength(period)) return { tag, isRow: true };
  }
  return undefined;
}
