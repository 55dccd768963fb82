import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { OpaqueIdCodec } from './opaque-id.codec.js';

const SECRET = 'test-secret-0123456789abcdef';
const OTHER_SECRET = 'another-secret-0123456789abcdef';
const MAX = (1n << 63n) - 1n;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * The construction written out again from its description, in bigint and without the codec's uint32 tricks, so a
 * slip in either (a half of the wrong width, a round keyed wrongly) shows as a mismatch.
 */
function reference(secret: string) {
  const key = Buffer.from(hkdfSync('sha256', secret, 'nest-leaf', 'opaque-id/v1', 16));
  const f = (i: number, half: bigint, bits: bigint): bigint => {
    const block = Buffer.alloc(16);
    block.write('opaque-id63', 0, 'latin1');
    block[11] = i;
    block.writeUInt32BE(Number(half), 12);
    const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    return BigInt(cipher.update(block).readUInt32BE(0)) % (1n << bits);
  };
  const width = (i: number) => (i % 2 === 0 ? 31n : 32n);
  return {
    p(x: bigint): bigint {
      let [a, b] = [x >> 32n, x & 0xffffffffn];
      for (let i = 0; i < 8; i++) [a, b] = [b, (a + f(i, b, width(i))) % (1n << width(i))];
      return (a << 32n) | b;
    },
    pInverse(y: bigint): bigint {
      let [a, b] = [y >> 32n, y & 0xffffffffn];
      for (let i = 7; i >= 0; i--) [a, b] = [(b - f(i, a, width(i)) + (1n << width(i))) % (1n << width(i)), a];
      return (a << 32n) | b;
    },
    code(y: bigint): string {
      let code = '';
      for (let i = 0; i < 11; i++, y /= 62n) code = ALPHABET[Number(y % 62n)] + code;
      return code;
    },
  };
}

function randomId(): bigint {
  const id = randomBytes(8).readBigUInt64BE() >> 1n;
  return id === 0n ? 1n : id;
}

function caught(action: () => unknown): InvalidArgumentError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError, nothing was thrown');
}

describe('OpaqueIdCodec', () => {
  const codec = new OpaqueIdCodec(SECRET);

  it('round-trips the edge IDs and random ones', () => {
    const edges = [1n, 2n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 62n, MAX];
    for (const id of [...edges, ...Array.from({ length: 10_000 }, randomId)]) {
      const code = codec.encode(id);
      expect(code).toMatch(/^[0-9A-Za-z]{11}$/);
      expect(codec.decode(code)).toBe(id);
    }
  });

  it('is the construction it documents: FF1-style Feistel on AES, 0 skipped by cycle-walking', () => {
    const ref = reference(SECRET);
    for (const id of [1n, 2n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, MAX, ...Array.from({ length: 200 }, randomId)]) {
      expect(codec.encode(id)).toBe(ref.code(ref.p(id)));
      expect(ref.pInverse(ref.p(id))).toBe(id);
    }
    // The one ID that P sends to 0 takes the code 0 would have had.
    const landsOnZero = ref.pInverse(0n);
    expect(codec.encode(landsOnZero)).toBe(ref.code(ref.p(0n)));
    expect(codec.decode(ref.code(ref.p(0n)))).toBe(landsOnZero);
  });

  it('gives 10^6 consecutive IDs distinct 11-character codes whose neighbours share no prefix beyond chance', () => {
    const started = performance.now();
    const seen = new Set<string>();
    let previous = '';
    let prefixTotal = 0;
    let longestPrefix = 0;
    const wrong: string[] = []; // an expect() per ID would cost more than the codec itself
    for (let n = 1n; n <= 1_000_000n; n++) {
      const code = codec.encode(n);
      const back = codec.decode(code);
      if (code.length !== 11 || back !== n) wrong.push(`${n} → ${code} → ${back}`);
      seen.add(code);
      if (n > 1n) {
        let prefix = 0;
        while (prefix < 11 && code[prefix] === previous[prefix]) prefix++;
        prefixTotal += prefix;
        longestPrefix = Math.max(longestPrefix, prefix);
      }
      previous = code;
    }
    new Logger('OpaqueIdCodec spec').log(`10^6 encode + decode: ${Math.round(performance.now() - started)} ms`);
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(seen.size).toBe(1_000_000);
    // The first character only takes 0-9 and A (2^63 / 62^10 ≈ 11), so it matches by chance about 1 time in 11:
    // by chance the mean prefix is 0.0909 × (1 + 1/62 + …) ≈ 0.0924, and a pair sharing 5 has odds ≈ 6e-9.
    const mean = prefixTotal / 999_999;
    expect(mean).toBeLessThan(0.1);
    expect(Math.abs(mean - 0.0924)).toBeLessThan(0.003);
    expect(longestPrefix).toBeLessThanOrEqual(4);
  }, 180_000);

  it('gives other codes under another secret, and the same ones from a new instance with the same secret', () => {
    const other = new OpaqueIdCodec(OTHER_SECRET);
    const again = new OpaqueIdCodec(SECRET);
    let same = 0;
    let sameCharacters = 0;
    for (let n = 1n; n <= 1000n; n++) {
      const [mine, theirs] = [codec.encode(n), other.encode(n)];
      expect(again.encode(n)).toBe(mine);
      if (mine === theirs) same++;
      for (let i = 0; i < 11; i++) if (mine[i] === theirs[i]) sameCharacters++;
    }
    expect(same).toBeLessThan(2);
    // By chance ≈ 1000 × (1/11 + 10/62) ≈ 252, give or take 15.
    expect(sameCharacters).toBeLessThan(330);
  });

  it('keeps no order: consecutive IDs get increasing codes about half the time', () => {
    let increasing = 0;
    let previous = codec.encode(1n);
    for (let n = 2n; n <= 10_000n; n++) {
      const code = codec.encode(n);
      if (code > previous) increasing++;
      previous = code;
    }
    expect(increasing / 9_999).toBeGreaterThan(0.4);
    expect(increasing / 9_999).toBeLessThan(0.6);
  });

  it('refuses IDs that are not bigints from 1 to 2^63-1', () => {
    for (const bad of [0n, -1n, 2n ** 63n, 42, '42', undefined, null]) {
      const error = caught(() => codec.encode(bad as bigint));
      expect(error.argument).toBe('id');
      expect(error.message).toContain('from 1n to 9223372036854775807n');
    }
    expect(caught(() => codec.encode(42 as unknown as bigint)).message).toMatch(/got 42 \(a number; pass a bigint/);
    expect(caught(() => codec.encode(2n ** 63n)).message).toContain('got 9223372036854775808n');
  });

  it('refuses codes that are not 11 characters of 0-9, A-Z, a-z, or that no ID has', () => {
    const cases: [unknown, string][] = [
      [42, 'got 42'],
      [undefined, 'got undefined'],
      ['', '"" has 0 characters'],
      ['0000000001', 'has 10 characters'],
      ['000000000001', 'has 12 characters'],
      ['00000-00001', 'has "-" at character 6'],
      ['0000000000é', 'has "é" at character 11'],
      [' 0000000001', 'has " " at character 1'],
      ['zzzzzzzzzzz', 'stands for 2^63 or more'],
      ['AzL8n0Y58m8', 'stands for 2^63 or more'], // 2^63 itself
      ['00000000000', 'stands for 0'],
    ];
    for (const [bad, problem] of cases) {
      const error = caught(() => codec.decode(bad as string));
      expect(error.argument).toBe('code');
      expect(error.message).toContain(problem);
      expect(error.message).toContain('11 characters of 0-9, A-Z, a-z, as made by OpaqueIdCodec.encode');
    }
    // 2^63-1, the largest number a code may stand for, is accepted.
    expect(typeof codec.decode('AzL8n0Y58m7')).toBe('bigint');
  });

  it('refuses a secret that is not a string of at least 16 characters, without showing it', () => {
    for (const bad of ['fifteen-chars!!', '🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑', 1234567890123456, undefined, null, {}]) {
      const error = caught(() => new OpaqueIdCodec(bad as string));
      expect(error.argument).toBe('secret');
      expect(error.message).toContain('openssl rand -base64 32');
      if (typeof bad === 'string' || typeof bad === 'number') expect(error.message).not.toContain(String(bad));
    }
    expect(caught(() => new OpaqueIdCodec('fifteen-chars!!')).message).toContain('got 15 characters');
    expect(caught(() => new OpaqueIdCodec(42 as unknown as string)).message).toContain('got a value of type number');
    expect(new OpaqueIdCodec('sixteen-chars!!!').encode(1n)).toMatch(/^[0-9A-Za-z]{11}$/);
  });
});
