import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import type { ResolvedLeafOptions } from '../leaf.defaults.js';
import { bizTagProblem } from '../leaf.options-validation.js';
import { MAX_ID } from '../store/leaf-store.js';
import { Calendar, periodKey, validDate, type CalendarDay } from '../calendar.js';
import { CodeFormat, type CodeRendering } from './code-format.js';
import { describeValue } from '../errors/describe-value.js';
import { type LeafPeriod } from '../leaf.defaults.js';

/** What `IdGenerator.parseCode` reads from a code. */
export interface ParsedLeafCode {
  /** The period the number belongs to (`'20261201'`, `'202612'`, `'2026'`), or null for a tag without a period. */
  readonly period: string | null;
  /** The sequence number: what `nextId` returned for it. */
  readonly seq: bigint;
}

/** Every tag not configured with a format writes its codes as its bare number. */
const PLAIN = CodeFormat.compile('{seq}', '', 'none', 'format');

interface TagFormat {
  readonly format: CodeFormat;
  readonly period: LeafPeriod;
}

/**
 * The formats of the configured tags: renders the codes of tags without a period (their date is the day a code is
 * issued) and reads any tag's codes back. Period tags render their own (`PeriodicTag`): their date is their period's.
 */
export class TagCodes {
  private readonly formats = new Map<string, TagFormat>();
  private day: CalendarDay | null = null;
  private dayReadAt = 0;
  private readonly renderings = new Map<string, CodeRendering>();

  /** The calendar of periods and dates: the module's, shared with its period tags. */
  private readonly calendar: Calendar;

  constructor(options: ResolvedLeafOptions) {
    this.calendar = Calendar.of(options);
    for (const spec of options.bizTags) this.add(spec);
  }

  /** The format of one more configured tag (a feature module's, registered before startup). */
  add({ tag, format, period }: Pick<ResolvedLeafOptions['bizTags'][number], 'tag' | 'format' | 'period'>): void {
    this.formats.set(tag, { format: CodeFormat.compile(format, tag, period, 'format'), period });
  }

  /** The format of `tag`, compiled at bootstrap. */
  formatOf(tag: string): CodeFormat {
    return this.formats.get(tag)?.format ?? PLAIN;
  }

  /** How a code of `tag` (a tag without a period) issued now is written. */
  rendering(tag: string): CodeRendering {
    const format = this.formatOf(tag);
    if (!format.usesDate) return format.render(null);
    const now = this.calendar.clock();
    // Cached for the day; a clock stepped back past the reading is read again (any date is unique here: the
    // sequence of a tag without a period never restarts).
    if (this.day === null || now >= this.day.end || now < this.dayReadAt) {
      this.day = this.calendar.dayAt(now);
      this.dayReadAt = now;
      this.renderings.clear();
    }
    let rendering = this.renderings.get(tag);
    if (rendering === undefined) this.renderings.set(tag, (rendering = format.render(this.day)));
    return rendering;
  }

  /** The period and sequence of a code of `tag`; throws `InvalidArgumentError` saying why it is not one. */
  parse(tag: string, code: unknown): ParsedLeafCode {
    const problem = bizTagProblem(tag);
    if (problem !== undefined) throw new InvalidArgumentError('bizTag', `Invalid biz tag: ${problem}.`);
    const entry = this.formats.get(tag) ?? { format: PLAIN, period: 'none' as const };
    const { format, period } = entry;
    const expected = () =>
      `codes of "${tag}" look like ${format.template}` +
      (this.formats.has(tag) ? '' : ` ("${tag}" is not in bizTags, so its codes are its bare numbers)`);
    if (typeof code !== 'string') {
      throw new InvalidArgumentError('code', `parseCode expects a string, got ${describeValue(code)}; ${expected()}.`);
    }
    const fields = format.parse(code);
    if (fields === undefined) {
      throw new InvalidArgumentError('code', `${describeValue(code)} is not a code of "${tag}": ${expected()}.`);
    }
    const yyyy = fields.yyyy ?? (fields.yy === undefined ? '2000' : this.century(fields.yy));
    const MM = fields.MM ?? '01';
    const dd = fields.dd ?? '01';
    if (!validDate(Number(yyyy), Number(MM), Number(dd))) {
      throw new InvalidArgumentError(
        'code',
        `${describeValue(code)} holds no real date (year ${yyyy}, month ${MM}, day ${dd}): ${expected()}.`,
      );
    }
    const day = { key: yyyy + MM + dd, yyyy, MM, dd, end: 0 };
    if (fields.seq < 1n || fields.seq > MAX_ID || format.render(day).code(fields.seq) !== code) {
      throw new InvalidArgumentError(
        'code',
        `${describeValue(code)} is not a code nest-leaf issues for "${tag}": its number is out of range or not ` +
          `written as nextCode writes it (leading zeros beyond the padding); ${expected()}.`,
      );
    }
    return { period: period === 'none' ? null : periodKey(day.key, period), seq: fields.seq };
  }

  /**
   * The year a two-digit `{yy}` means: the latest one ending in those digits, up to next year (a node whose clock
   * lags may still issue last year's codes, one ahead may issue next year's).
   */
  private century(yy: string): string {
    const latest = Number(this.calendar.keyAt(this.calendar.clock()).slice(0, 4)) + 1;
    const year = latest - ((((latest - Number(yy)) % 100) + 100) % 100);
    return String(year).padStart(4, '0');
  }
}
