import { describe, expect, it } from '@jest/globals';
import { resolveLeafOptions } from '../leaf.options.js';
import { TagAccess } from './tag-access.js';

/** Noon of 2026-12-07 UTC. */
const NOW = Date.UTC(2026, 11, 7, 12);

function access(now = NOW): TagAccess {
  return new TagAccess(
    resolveLeafOptions({
      bizTags: [
        'order',
        { tag: 'invoice', step: 50, period: 'year', format: 'F{yyyy}-{seq}' },
        { tag: 'receipt', step: 20, period: 'day', format: 'R{yyyy}{MM}{dd}-{seq}' },
      ],
      clock: () => now,
    }),
  );
}

describe('TagAccess', () => {
  const tags = new Set(['order', 'invoice', 'receipt', 'Payment']);

  it.each([
    ['order', true],
    ['Payment', true],
    ['payment', false], // exactly as listed
    ['invoice:2026', true],
    ['invoice:2027', true],
    ['invoice:202612', false], // a month key for a yearly tag
    ['invoice:0000', false], // no year 0
    ['receipt:20261207', true],
    ['receipt:20261232', false],
    ['receipt:20260229', false], // 2026 is no leap year
    ['receipt:2026', false],
    ['order:2026', false], // order has no period
    ['refund:2026', false], // not the client's
  ])('a client allowed order, invoice, receipt, Payment reaches %p: %p', (bizTag, reached) => {
    expect(access().allows(tags, bizTag)).toBe(reached);
  });

  it("reaches every row with '*', and only its own otherwise", () => {
    expect(access().allows(null, 'order:2026')).toBe(true);
    expect(access().allows(new Set(['order']), 'invoice:2026')).toBe(false);
  });

  it('lets a client that is not an admin create only the current and next period rows, with the configured step', () => {
    const problem = (bizTag: string, step: number) => access().creationProblem(tags, bizTag, step);
    expect(problem('invoice:2026', 50)).toBeUndefined();
    expect(problem('invoice:2027', 50)).toBeUndefined();
    expect(problem('receipt:20261207', 20)).toBeUndefined();
    expect(problem('receipt:20261208', 20)).toBeUndefined();
    expect(problem('receipt:20261209', 20)).toMatch(/not the current \(20261207\) or next \(20261208\) day/);
    expect(problem('invoice:2025', 50)).toMatch(/not the current \(2026\) or next \(2027\) year/);
    expect(problem('invoice:2026', 51)).toMatch(/has step 50 in the bizTags of this server/);
    expect(problem('order', 1000)).toMatch(/is not a row of a period tag this server configures/);
    expect(problem('invoice:20261207', 50)).toMatch(/is not a row of "invoice": its rows are named "invoice:<yyyy>"/);
    expect(access().creationProblem(new Set(['order']), 'invoice:2026', 50)).toMatch(/which is not this client's/);
  });

  it("follows the server's clock across a year's end", () => {
    const newYear = access(Date.UTC(2027, 0, 1, 0, 0, 1));
    expect(newYear.creationProblem(tags, 'invoice:2027', 50)).toBeUndefined();
    expect(newYear.creationProblem(tags, 'invoice:2028', 50)).toBeUndefined();
    expect(newYear.creationProblem(tags, 'invoice:2026', 50)).toMatch(/not the current \(2027\)/);
  });
});
