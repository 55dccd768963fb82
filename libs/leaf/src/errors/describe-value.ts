/**
 * How a message shows a value the caller gave: quoted and escaped, cut to 40 characters, and read no further than
 * that, so refusing a string of megabytes costs what refusing a short one does. Every message of the library that
 * quotes user input goes through it.
 */

/** What a message shows escaped rather than raw (JSON.stringify escapes C0 and lone surrogates, not these). */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

/** The first `count` code points of `text`, reading no further than them. */
function leadingCodePoints(text: string, count: number): string {
  let end = 0;
  for (let taken = 0; taken < count && end < text.length; taken++) {
    const pair = isHighSurrogate(text.charCodeAt(end)) && isLowSurrogate(text.charCodeAt(end + 1));
    end += pair ? 2 : 1;
  }
  return text.slice(0, end);
}

/** `text` as a quoted literal with every control, format or unpaired character escaped (`\n`, `\u200b`). */
export function escapeText(text: string): string {
  const quoted = JSON.stringify(text).slice(1, -1);
  return quoted.replace(UNPRINTABLE, (char) => {
    const code = char.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A value as a message shows it: strings quoted and escaped, bigints with their n, arrays and objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    // Only the shown part is read: quoting a string of megabytes costs what quoting 40 characters does.
    const head = leadingCodePoints(value, 40);
    const shown = head.length < value.length ? `${head}…` : value;
    return `"${escapeText(shown)}"`;
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
