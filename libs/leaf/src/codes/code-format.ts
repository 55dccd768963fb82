import { InvalidLeafOptionsError } from '../errors/invalid-leaf-options.error.js';
import type { CalendarDay } from '../calendar.js';
import { describeValue } from '../errors/describe-value.js';
import { type LeafPeriod } from '../leaf.defaults.js';

/** The tokens a `format` may hold; `{seq:N}` is `seq` with a width. */
type DateToken = 'yyyy' | 'yy' | 'MM' | 'dd';
const DATE_TOKENS: readonly DateToken[] = ['yyyy', 'yy', 'MM', 'dd'];
const TOKEN = /\{([^{}]*)\}/g;
/** 2^63-1 has 19 digits: a wider padding would only add zeros to every code. */
const MAX_WIDTH = 19;
/** A code is written into logs, URLs and paper: no control characters, no line breaks. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

type Piece = { readonly text: string } | { readonly date: DateToken } | { readonly seq: number };

/** The date fields a code carried, as written (`yy` only when the format has no `{yyyy}`). */
export interface ParsedCode {
  readonly yyyy?: string;
  readonly yy?: string;
  readonly MM?: string;
  readonly dd?: string;
  readonly seq: bigint;
}

/**
 * One day's codes of a format: the text before and after the sequence, which changes only with the date, so
 * writing a code is two concatenations and a pad.
 */
export class CodeRendering {
  constructor(
    readonly before: string,
    readonly after: string,
    private readonly width: number,
  ) {}

  code(seq: bigint): string {
    return this.before + seq.toString().padStart(this.width, '0') + this.after;
  }
}

/** Formats compiled so far, by period and template: a bounded cache (templates come from configuration). */
const COMPILED = new Map<string, CodeFormat>();

/** A tag's `format` template, checked once at bootstrap: renders codes and reads them back. */
export class CodeFormat {
  /** Whether a code shows a date: then it is rendered per day. */
  readonly usesDate: boolean;
  private readonly pattern: RegExp;
  private readonly groups: Array<DateToken | 'seq'> = [];
  private plain: CodeRendering | null = null;

  private constructor(
    readonly template: string,
    private readonly pieces: readonly Piece[],
  ) {
    this.usesDate = pieces.some((piece) => 'date' in piece);
    let source = '';
    for (const piece of pieces) {
      if ('text' in piece) source += piece.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      else if ('date' in piece) {
        source += piece.date === 'yyyy' ? '(\\d{4})' : '(\\d{2})';
        this.groups.push(piece.date);
      } else {
        source += `(\\d{${Math.max(piece.seq, 1)},})`;
        this.groups.push('seq');
      }
    }
    this.pattern = new RegExp(`^${source}$`);
    this.plain = this.usesDate ? null : this.render(null);
  }

  /**
   * Checks a tag's template; throws `InvalidLeafOptionsError` naming the option, the tag and the token at fault.
   * @param option where the template came from, as the error names it: `bizTags[1].format`
   */
  static compile(template: unknown, tag: string, period: LeafPeriod, option: string): CodeFormat {
    // Once per template and period: options are checked at forRoot and resolved again when the module starts.
    const key = typeof template === 'string' ? `${period}\n${template}` : undefined;
    const known = key === undefined ? undefined : COMPILED.get(key);
    if (known !== undefined) return known;
    const compiled = CodeFormat.compileNew(template, tag, period, option);
    if (COMPILED.size >= 1000) COMPILED.clear();
    COMPILED.set(key!, compiled);
    return compiled;
  }

  private static compileNew(template: unknown, tag: string, period: LeafPeriod, option: string): CodeFormat {
    const fail = (problem: string) => new InvalidLeafOptionsError(option, `"${tag}": ${problem}`);
    if (typeof template !== 'string' || template.length === 0 || template.length > 256) {
      throw fail(
        `expected a template string of 1 to 256 characters such as "INV-{yyyy}{MM}{dd}-{seq:6}", got ${describeValue(template)}`,
      );
    }
    if (UNPRINTABLE.test(template)) throw fail(`a format must not contain control or invisible characters`);
    const pieces: Piece[] = [];
    let last = 0;
    for (const match of template.matchAll(TOKEN)) {
      if (match.index > last) pieces.push(literal(template.slice(last, match.index), fail));
      pieces.push(token(match[1], fail));
      last = match.index + match[0].length;
    }
    if (last < template.length) pieces.push(literal(template.slice(last), fail));
    const seqs = pieces.filter((piece) => 'seq' in piece).length;
    if (seqs !== 1) {
      throw fail(
        `a format holds exactly one {seq} or {seq:N} token (the number that makes each code unique), found ${seqs}`,
      );
    }
    const has = (date: DateToken) => pieces.some((piece) => 'date' in piece && piece.date === date);
    const needed =
      period === 'none'
        ? []
        : period === 'year'
          ? ['year']
          : period === 'month'
            ? ['year', 'MM']
            : ['year', 'MM', 'dd'];
    const missing = needed.filter((need) => (need === 'year' ? !has('yyyy') && !has('yy') : !has(need as DateToken)));
    if (missing.length > 0) {
      const tokens = missing.map((need) => (need === 'year' ? '{yyyy}' : `{${need}}`)).join('');
      throw fail(
        `its sequence restarts every ${period}, so each code must show the ${period}, or codes of two ${period}s would be ` +
          `equal: add ${tokens} to the format`,
      );
    }
    return new CodeFormat(template, pieces);
  }

  /** The codes of `day` (null when the format shows no date). */
  render(day: CalendarDay | null): CodeRendering {
    if (day === null && this.plain !== null) return this.plain;
    let before = '';
    let after = '';
    let width = 0;
    let seen = false;
    for (const piece of this.pieces) {
      let text: string;
      if ('seq' in piece) {
        width = piece.seq;
        seen = true;
        continue;
      }
      if ('text' in piece) text = piece.text;
      else text = piece.date === 'yy' ? day!.yyyy.slice(2) : day![piece.date];
      if (seen) after += text;
      else before += text;
    }
    return new CodeRendering(before, after, width);
  }

  /** The fields of a code written in this format, or undefined when it does not match. */
  parse(code: string): ParsedCode | undefined {
    const match = this.pattern.exec(code);
    if (match === null) return undefined;
    const fields: Record<string, string> = {};
    let seq = 0n;
    for (let i = 0; i < this.groups.length; i++) {
      const group = this.groups[i];
      const value = match[i + 1];
      if (group === 'seq') seq = BigInt(value);
      // A format may show a field twice ("{yyyy}/{yyyy}{MM}"): both must agree.
      else if (fields[group] !== undefined && fields[group] !== value) return undefined;
      else fields[group] = value;
    }
    return { ...fields, seq };
  }
}

function literal(text: string, fail: (problem: string) => Error): Piece {
  const brace = /[{}]/.exec(text);
  if (brace !== null) throw fail(`unmatched "${brace[0]}" in the format: braces are for tokens only`);
  return { text };
}

function token(name: string, fail: (problem: string) => Error): Piece {
  if ((DATE_TOKENS as readonly string[]).includes(name)) return { date: name as DateToken };
  if (name === 'seq') return { seq: 0 };
  const width = /^seq:(\d+)$/.exec(name);
  if (width !== null) {
    const digits = Number(width[1]);
    if (digits >= 1 && digits <= MAX_WIDTH) return { seq: digits };
    throw fail(`{${name}}: the width of {seq:N} is from 1 to ${MAX_WIDTH} digits`);
  }
  const known = ['yyyy', 'yy', 'MM', 'dd', 'seq', 'seq:N'];
  const similar = known.find((candidate) => candidate.toLowerCase() === name.toLowerCase().replace(/:\d+$/, ':n'));
  const hint = similar === undefined ? '' : ` (did you mean {${similar}}? tokens are case-sensitive: MM is the month)`;
  throw fail(`unknown token {${name}}${hint}; the tokens are ${known.map((k) => `{${k}}`).join(', ')}`);
}
