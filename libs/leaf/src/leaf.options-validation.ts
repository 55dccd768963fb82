/**
 * The checks behind `resolveLeafOptions`, `IdGenerator` and `LeafAdmin`: one rule per kind of value, so a tag or
 * a step is refused alike wherever it comes in.
 */
import { describeValue, escapeText } from './errors/describe-value.js';
import { Calendar } from './calendar.js';
import { InvalidLeafOptionsError } from './errors/invalid-leaf-options.error.js';
import { LEAF_DEFAULTS } from './leaf.defaults.js';
import type { LeafStore } from './store/leaf-store.js';
import { FENCE_MARKER, looksLikeFenceMarker } from './store/fence-marker.js';

/** `leaf_alloc.biz_tag` is varchar(128). */
export const MAX_BIZ_TAG_LENGTH = 128;

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators: they break logs, URLs and SQL scripts. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
/**
 * Format characters render as nothing, so "order\u200b" or "ord\u200der" would look like "order" yet name another
 * row. All of them are refused, zero-width joiner and non-joiner and tag characters included: an emoji sequence or a
 * Persian spelling is worth less in a row name than a tag that cannot pass for another.
 */
const INVISIBLE = /\p{Cf}/u;
/** In `u` mode `\p{Cs}` matches only a surrogate that has no partner: no UTF-8 can hold it. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why a biz tag is unusable, or `undefined` when it is fine. Shared by option validation, `nextId` and `LeafAdmin`. */
export function bizTagProblem(tag: unknown): string | undefined {
  if (typeof tag !== 'string') return `a biz tag must be a string, got ${describeValue(tag)}`;
  // varchar counts characters, not UTF-16 units: an emoji is one character but two units. Checked first, and
  // counted no further than needed, so a string of megabytes costs no more than a tag.
  if (tag.length > MAX_BIZ_TAG_LENGTH && codePointsUpTo(tag, 2 * MAX_BIZ_TAG_LENGTH) > MAX_BIZ_TAG_LENGTH) {
    return `a biz tag has at most ${MAX_BIZ_TAG_LENGTH} characters (leaf_alloc.biz_tag is varchar(128)), got ${countShown(tag)}`;
  }
  if (tag.trim().length === 0) return 'a biz tag must not be empty or only white space';
  if (CONTROL.test(tag)) {
    return `a biz tag must not contain control characters or line breaks; ${pointAt(tag, CONTROL)}`;
  }
  if (LONE_SURROGATE.test(tag)) {
    return `a biz tag must be well-formed Unicode (utf8mb4 cannot store half a surrogate pair); ${pointAt(tag, LONE_SURROGATE)}`;
  }
  if (INVISIBLE.test(tag)) {
    return `a biz tag must not contain invisible format characters, which make it look like another tag; ${pointAt(tag, INVISIBLE)}`;
  }
  if (looksLikeFenceMarker(tag)) {
    return `${describeValue(tag)} is reserved: "${FENCE_MARKER}" (in any case or accents) is the failover fence's marker row`;
  }
  return undefined;
}

/** Where the first character matching `pattern` is, shown escaped: `"a\u0000b" has \u0000 (U+0000) at character 2`. */
function pointAt(tag: string, pattern: RegExp): string {
  let position = 0;
  for (const char of tag) {
    position++;
    if (pattern.test(char)) {
      const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      return `${describeValue(tag)} has ${escapeText(char)} (${code}) at character ${position}`;
    }
  }
  return describeValue(tag);
}

/** Why a `leaf_alloc.description` (varchar(256)) is unusable, or `undefined` when it is fine or absent. */
export function descriptionProblem(description: unknown): string | undefined {
  if (description === undefined || (typeof description === 'string' && description.length <= 256)) return undefined;
  return 'must be a string of at most 256 characters';
}

/**
 * Why `key` is not one of `allowed`, naming the nearest allowed key when it looks like a typo:
 * `is not <what> (did you mean "step"?); <listed> tag, step, description`.
 */
export function unknownKeyProblem(key: string, allowed: readonly string[], what: string, listed: string): string {
  const nearest = nearestKey(key, allowed);
  const hint = nearest === undefined ? '' : ` (did you mean "${nearest}"?)`;
  return `is not ${what}${hint}; ${listed} ${allowed.join(', ')}`;
}

/**
 * The allowed key closest to `key` in edits (a swap of two neighbours counts as one, case ignored), if it is close
 * enough to be a typo rather than another word.
 */
function nearestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= 2 && bestDistance < key.length / 2 ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

// Hosts read options from the environment, where everything is a string. Only the plain decimal spelling is
// taken: Number() would also read ' 500', '5e2', '0x10' and '' (as 0), which are more likely mistakes than intent.
const DECIMAL_INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * An integer option in [min, max], given as a number or a string of decimal digits; throws naming `label`.
 * `example` (clamped to the range) shows what a string should look like.
 */
export function integerOption(
  value: unknown,
  label: string,
  min: number,
  max: number,
  example: number,
  maxName = '',
): number {
  const number = typeof value === 'string' && DECIMAL_INTEGER.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    const accepted =
      typeof value === 'number'
        ? ''
        : ` (a number, or a string of decimal digits such as "${Math.min(Math.max(example, min), max)}")`;
    throw new InvalidLeafOptionsError(
      label,
      `expected an integer from ${min} to ${max}${maxName}, got ${describeValue(value)}${accepted}`,
    );
  }
  return number + 0; // -0 (from '-0') would print as 0 yet compare oddly with Object.is
}

/** A number in (0, 1], given as a number or a decimal string such as "0.2"; throws naming `label`. */
export function fractionOption(value: unknown, label: string): number {
  const number = typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !(number > 0 && number <= 1)) {
    const accepted = typeof value === 'number' ? '' : ' (a number, or a decimal string such as "0.2")';
    throw new InvalidLeafOptionsError(
      label,
      `expected a number greater than 0 and at most 1, got ${describeValue(value)}${accepted}`,
    );
  }
  return number;
}

/** A boolean option, given as a boolean or as the string "true" or "false"; throws naming `label`. */
export function flagOption(value: unknown, label: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new InvalidLeafOptionsError(
    label,
    `expected true or false, got ${describeValue(value)} (a boolean, or the string "true" or "false")`,
  );
}

/** The methods of `LeafStore`, which a `store` option must have. */
const STORE_METHODS = ['listTags', 'findTag', 'createTags', 'reserve', 'giveBack', 'insertTag', 'setStep'] as const;

/**
 * The `store` option: undefined when absent (the TypeORM store is used), else an object with every `LeafStore` method
 * and an `engine` name. Only the shape is checked; the behaviour is what `describeLeafStoreContract` tests.
 */
export function storeOption(value: unknown): LeafStore | undefined {
  if (value === undefined) return undefined;
  const store = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const missing: string[] = STORE_METHODS.filter((method) => typeof store[method] !== 'function');
  if (typeof store.engine !== 'string') missing.push('engine (a string)');
  if (missing.length > 0) throw InvalidLeafOptionsError.notAStore(describeStore(value), missing);
  return value as LeafStore;
}

/** A class passed where its instance belongs is the likely mistake: name it. */
function describeStore(value: unknown): string {
  if (typeof value === 'function') {
    const name = value.name || 'anonymous';
    return `the class or function ${name} (pass an instance, such as new ${name}(…))`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return describeValue(value);
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

/** The code points of `text`, counted up to `limit` + 1 at most. */
function codePointsUpTo(text: string, limit: number): number {
  let count = 0;
  for (const _ of text) if (++count > limit) break;
  return count;
}

/** Past this many characters a message says "more than": counting a string of megabytes would cost its length. */
const COUNTED_AT_MOST = 1_000_000;

/** The length of an over-long tag as a message shows it: exact up to a size worth counting. */
function countShown(tag: string): string {
  const counted = codePointsUpTo(tag, COUNTED_AT_MOST);
  return counted > COUNTED_AT_MOST ? `more than ${COUNTED_AT_MOST}` : String(counted);
}

/** The `timeZone` option: a zone the runtime knows, by its canonical name; default UTC. */
export function zoneOption(timeZone: unknown): string {
  if (timeZone === undefined) return LEAF_DEFAULTS.timeZone;
  if (typeof timeZone === 'string' && timeZone.length > 0) {
    try {
      return Calendar.canonicalZone(timeZone);
    } catch {
      // Reported below with what to pass instead.
    }
  }
  throw InvalidLeafOptionsError.unknownTimeZone(describeValue(timeZone));
}

/** The `clock` option: a function returning milliseconds since the epoch; default `Date.now`. */
export function clockOption(clock: unknown): () => number {
  if (clock === undefined) return LEAF_DEFAULTS.clock;
  if (typeof clock === 'function' && Number.isFinite(clock())) return clock as () => number;
  throw new InvalidLeafOptionsError(
    'clock',
    `expected a function returning milliseconds since the epoch (such as () => Date.now()), got ${describeValue(clock)}`,
  );
}
