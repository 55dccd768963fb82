import { createCipheriv, hkdfSync, type Cipher } from 'node:crypto';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { describeValue } from '../errors/describe-value.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 62^11 > 2^63 > 62^10: every ID fits in 11 characters, and a fixed length gives away no magnitude. */
const CODE_LENGTH = 11;
const MAX_ID = (1n << 63n) - 1n;
const MIN_SECRET_LENGTH = 16;
/** The 63 bits split as in FF1 (u = ⌊63/2⌋ high bits, v = 32 low bits), so each half fits a uint32. */
const U = 31;
const ROUNDS = 8;
const TWO_32 = 2 ** 32;
/** Fills the rest of each AES block, so this key could later serve another width or purpose without clashes. */
const ROUND_TAG = 'opaque-id63';
/** Held here, not looked up on `Math` per digit: under Jest's sandbox each global lookup costs ~0.3 µs. */
const { floor } = Math;
const CODE_SHAPE = `${CODE_LENGTH} characters of 0-9, A-Z, a-z, as made by OpaqueIdCodec.encode`;

/**
 * Turns IDs from 1 to 2^63-1 into 11-character codes of 0-9, A-Z, a-z and back, under a secret: a keyed bijection
 * (an 8-round Feistel network on AES-128, in the style of NIST FF1). Codes of neighbouring IDs look unrelated, so
 * a code does not show how many IDs were issued, in which order, or how far apart.
 *
 * It is not authentication: anyone can submit any code, and `decode` just maps it to some ID or refuses it, so
 * check that the caller may see the row it names. Changing the secret changes every code, so codes handed out
 * (in URLs, e-mails, printed) stop resolving: keep the secret as long as its codes are in use.
 */
export class OpaqueIdCodec {
  private readonly cipher: Cipher;
  private readonly block = Buffer.alloc(16);

  /**
   * @param secret at least 16 characters, kept out of source control (e.g. `openssl rand -base64 32`).
   * @throws InvalidArgumentError (`argument` 'secret') when it is not a string of at least 16 characters.
   */
  constructor(secret: string) {
    if (typeof secret !== 'string' || [...secret].length < MIN_SECRET_LENGTH) {
      const length = typeof secret === 'string' ? [...secret].length : undefined;
      const got =
        length !== undefined
          ? `${length} characters`
          : secret == null
            ? String(secret)
            : `a value of type ${typeof secret}`;
      // The secret itself stays out of the message: messages end up in logs.
      throw new InvalidArgumentError(
        'secret',
        `An OpaqueIdCodec secret must be a string of at least ${MIN_SECRET_LENGTH} characters, got ${got}; ` +
          'make one with `openssl rand -base64 32` and keep it out of source control.',
      );
    }
    const key = Buffer.from(hkdfSync('sha256', secret, 'nest-leaf', 'opaque-id/v1', 16));
    // One ECB cipher reused for every single-block call costs far less than a createHmac per round.
    this.cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    this.block.write(ROUND_TAG, 0, 'latin1');
  }

  /**
   * The code of `id`: 11 characters of 0-9, A-Z, a-z; the same for the same secret, every time.
   * @throws InvalidArgumentError (`argument` 'id') when `id` is not a bigint from 1n to 2^63-1.
   */
  encode(id: bigint): string {
    if (typeof id !== 'bigint' || id < 1n || id > MAX_ID) {
      const hint = typeof id === 'number' ? ' (a number; pass a bigint, e.g. BigInt(id) or 42n)' : '';
      throw new InvalidArgumentError(
        'id',
        `OpaqueIdCodec.encode takes a bigint from 1n to ${MAX_ID}n (2^63-1), got ${describeValue(id)}${hint}.`,
      );
    }
    let [hi, lo] = this.permute(Number(id >> 32n), Number(id & 0xffffffffn));
    // 0 is no ID, so no code stands for it: an ID that lands on 0 steps on to where 0 would have gone.
    while (hi === 0 && lo === 0) [hi, lo] = this.permute(hi, lo);
    let code = '';
    for (let i = 0; i < CODE_LENGTH; i++) {
      const rest = (hi % 62) * TWO_32 + lo; // below 62 * 2^32: exact in a double
      hi = floor(hi / 62);
      lo = floor(rest / 62);
      code = ALPHABET[rest % 62] + code;
    }
    return code;
  }

  /**
   * The ID whose code this is.
   * @throws InvalidArgumentError (`argument` 'code') when `code` is not 11 characters of 0-9, A-Z, a-z, or is one
   * no ID has (above 2^63-1, or 0). Any other well-formed code gives some ID, whether or not it was ever issued.
   */
  decode(code: string): bigint {
    const refuse = (problem: string) =>
      new InvalidArgumentError('code', `Not an OpaqueIdCodec code: ${problem}; a code is ${CODE_SHAPE}.`);
    if (typeof code !== 'string') throw refuse(`got ${describeValue(code)}`);
    if (code.length !== CODE_LENGTH) throw refuse(`${describeValue(code)} has ${code.length} characters`);
    let hi = 0;
    let lo = 0;
    for (let i = 0; i < CODE_LENGTH; i++) {
      const digit = digitOf(code.charCodeAt(i));
      if (digit < 0) throw refuse(`${describeValue(code)} has ${describeValue(code[i])} at character ${i + 1}`);
      const low = lo * 62 + digit;
      lo = low % TWO_32;
      hi = hi * 62 + floor(low / TWO_32); // below 62^11 / 2^32 < 2^34: exact in a double
    }
    if (hi >= 2 ** U) throw refuse(`${describeValue(code)} stands for 2^63 or more, which no ID maps to`);
    if (hi === 0 && lo === 0) throw refuse(`${describeValue(code)} stands for 0, which no ID maps to`);
    [hi, lo] = this.unpermute(hi, lo);
    while (hi === 0 && lo === 0) [hi, lo] = this.unpermute(hi, lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /**
   * P on [0, 2^63), as the pair (high 31 bits, low 32 bits). Even rounds make a 31-bit half, odd ones 32; `& 2^31-1`
   * and `>>> 0` reduce sums and differences (all within ±2^33) mod 2^31 and 2^32 exactly.
   */
  private permute(a: number, b: number): [number, number] {
    for (let i = 0; i < ROUNDS; i++) {
      const c = i % 2 === 0 ? (a + this.round(i, b)) & 0x7fffffff : (a + this.round(i, b)) >>> 0;
      a = b;
      b = c;
    }
    return [a, b];
  }

  /** P⁻¹: the rounds of `permute` backwards, each subtracting what it added. */
  private unpermute(a: number, b: number): [number, number] {
    for (let i = ROUNDS - 1; i >= 0; i--) {
      const c = b;
      b = a;
      a = i % 2 === 0 ? (c - this.round(i, b)) & 0x7fffffff : (c - this.round(i, b)) >>> 0;
    }
    return [a, b];
  }

  /** F(i, B): 32 bits of AES_K(tag ‖ i ‖ B); callers keep the 31 or 32 they need. */
  private round(i: number, half: number): number {
    this.block[11] = i;
    this.block.writeUInt32BE(half, 12);
    return this.cipher.update(this.block).readUInt32BE(0);
  }
}

/** The value of a character code in ALPHABET, or -1. */
function digitOf(char: number): number {
  if (char >= 48 && char <= 57) return char - 48; // 0-9
  if (char >= 65 && char <= 90) return char - 55; // A-Z
  if (char >= 97 && char <= 122) return char - 61; // a-z
  return -1;
}
