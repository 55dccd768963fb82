import type { FenceSkips } from './leaf-store.js';

/** `<tag>:<yyyyMMdd|yyyyMM|yyyy>`: the rows of a period tag carry their tag's skip. */
const PERIOD_ROW = /^(.+):(\d{8}|\d{6}|\d{4})$/;

/** The skip of the row `bizTag`: its tag's (or its period tag's) entry, else the default. */
export function skipFor(skips: FenceSkips, bizTag: string): bigint {
  const own = skips.tags.get(bizTag);
  if (own !== undefined) return own;
  const periodTag = PERIOD_ROW.exec(bizTag)?.[1];
  return (periodTag !== undefined ? skips.tags.get(periodTag) : undefined) ?? skips.defaultSkip;
}
