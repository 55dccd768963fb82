import { describe, expect, it, jest } from '@jest/globals';
import * as crypto from 'node:crypto';

// node:crypto replaced by itself with timingSafeEqual spied on, before ClientTokens is loaded: the compare the
// module really uses is the one observed.
const timingSafeEqual = jest.fn(crypto.timingSafeEqual);
jest.unstable_mockModule('node:crypto', () => ({ ...crypto, default: crypto, timingSafeEqual }));
const { ClientTokens } = await import('./client-tokens.js');

const client = (name: string, token: string) => ({ name, token, tags: null, admin: false });

describe('ClientTokens', () => {
  const tokens = new ClientTokens([
    client('a', 'token-of-client-a-0123456789'),
    client('b', 'token-of-client-b-0123456789'),
    client('c', 'token-of-client-c-0123456789'),
  ]);

  it.each([
    ['the right token', 'token-of-client-b-0123456789', 'b'],
    ['a wrong token of another length', 'x', undefined],
    ['a prefix of a token', 'token-of-client-b-012345678', undefined],
    ['the empty string', '', undefined],
  ])('%s: compares SHA-256 digests with timingSafeEqual, against every client', (_case, token, found) => {
    timingSafeEqual.mockClear();
    expect(tokens.find(token)?.name).toBe(found);
    // Every client compared, even after a match, and always 32 bytes against 32: no early exit, no length leak.
    expect(timingSafeEqual).toHaveBeenCalledTimes(3);
    for (const [a, b] of timingSafeEqual.mock.calls) {
      expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
    }
    const sent = crypto.createHash('sha256').update(token).digest();
    expect(timingSafeEqual.mock.calls.every(([, b]) => sent.equals(b as Buffer))).toBe(true);
  });
});
