import { describe, expect, it } from '@jest/globals';
import { HandedRanges } from './handed-ranges.js';
import { LeafServerHttpError } from './server-errors.js';

const range = (start: bigint, end: bigint) => ({ start, end });

/** The status a `take` answers with, or 200 when it takes. */
function status(take: () => void): number {
  try {
    take();
    return 200;
  } catch (error) {
    if (error instanceof LeafServerHttpError) return error.status;
    throw error;
  }
}

describe('HandedRanges', () => {
  it("takes back the unused rest of a client's range once, and nothing of another client's", () => {
    const handed = new HandedRanges();
    handed.handed('shop', 'order', range(100n, 200n));
    expect(status(() => handed.take('mallory', 'order', 150n, 200n))).toBe(409);
    expect(status(() => handed.take('shop', 'invoice', 150n, 200n))).toBe(409);
    expect(status(() => handed.take('shop', 'order', 99n, 200n))).toBe(400);
    expect(status(() => handed.take('shop', 'order', 150n, 200n))).toBe(200);
    expect(status(() => handed.take('shop', 'order', 150n, 200n))).toBe(409);
  });

  it('takes a tail that runs through contiguous ranges of one client, but not past a gap', () => {
    const handed = new HandedRanges();
    handed.handed('shop', 'order', range(100n, 200n)); // the current segment
    handed.handed('shop', 'order', range(200n, 400n)); // its standby, right above
    handed.handed('shop', 'order', range(500n, 600n)); // after another client's [400, 500)
    expect(status(() => handed.take('shop', 'order', 450n, 600n))).toBe(400);
    expect(status(() => handed.take('shop', 'order', 150n, 400n))).toBe(200);
    expect(status(() => handed.take('shop', 'order', 150n, 200n))).toBe(409); // taken with the chain
    expect(status(() => handed.take('shop', 'order', 600n, 600n))).toBe(200); // an empty tail, of a range it has
  });

  it('keeps a bounded memory: the oldest ranges of a client and row are forgotten', () => {
    const handed = new HandedRanges();
    for (let i = 0n; i < 20n; i++) handed.handed('shop', 'order', range(i * 10n, i * 10n + 10n));
    expect(status(() => handed.take('shop', 'order', 5n, 10n))).toBe(409);
    expect(status(() => handed.take('shop', 'order', 195n, 200n))).toBe(200);
  });
});
