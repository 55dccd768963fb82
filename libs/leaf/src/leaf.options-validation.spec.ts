import { describe, expect, it } from '@jest/globals';
import { bizTagProblem } from './leaf.options-validation.js';
import { describeValue } from './errors/describe-value.js';

describe('bizTagProblem (options, nextId and LeafAdmin share it)', () => {
  const refused: Array<[string, string, string]> = [
    ['a NUL', 'a\0b', '"a\\u0000b" has \\u0000 (U+0000) at character 2'],
    ['a newline', 'order\n', '"order\\n" has \\n (U+000A) at character 6'],
    ['a carriage return', 'order\r', '"order\\r" has \\r (U+000D) at character 6'],
    ['a tab inside', 'or\tder', '"or\\tder" has \\t (U+0009) at character 3'],
    ['an escape', '\u001b[31mred', '"\\u001b[31mred" has \\u001b (U+001B) at character 1'],
    ['DEL', 'x\u007f', '"x\\u007f" has \\u007f (U+007F) at character 2'],
    ['a C1 control (NEL)', 'x\u0085y', '"x\\u0085y" has \\u0085 (U+0085) at character 2'],
    ['a C1 control (U+009F)', '\u009fx', '"\\u009fx" has \\u009f (U+009F) at character 1'],
    ['a line separator', 'x\u2028y', '"x\\u2028y" has \\u2028 (U+2028) at character 2'],
    ['a paragraph separator', 'x\u2029y', '"x\\u2029y" has \\u2029 (U+2029) at character 2'],
    ['a control after an emoji', '🧾\n', '"🧾\\n" has \\n (U+000A) at character 2'],
    [
      'a control past the 40 characters shown',
      `${'x'.repeat(50)}\0`,
      `"${'x'.repeat(40)}…" has \\u0000 (U+0000) at character 51`,
    ],
  ];
  it.each(refused)('refuses %s, showing it escaped', (_name, tag, where) => {
    const problem = bizTagProblem(tag)!;
    expect(problem).toBe(`a biz tag must not contain control characters or line breaks; ${where}`);
    expect(problem).not.toMatch(/[\p{Cc}\p{Cf}\u2028\u2029]/u);
  });

  const invisible: Array<[string, string, string]> = [
    ['a zero-width space', 'order\u200b', '"order\\u200b" has \\u200b (U+200B) at character 6'],
    ['a byte order mark', '\ufefforder', '"\\ufefforder" has \\ufeff (U+FEFF) at character 1'],
    ['a word joiner', 'or\u2060der', '"or\\u2060der" has \\u2060 (U+2060) at character 3'],
    ['a soft hyphen', 'or\u00adder', '"or\\u00adder" has \\u00ad (U+00AD) at character 3'],
    ['a right-to-left override', 'order\u202egpj', '"order\\u202egpj" has \\u202e (U+202E) at character 6'],
    ['a left-to-right mark', '\u200eorder', '"\\u200eorder" has \\u200e (U+200E) at character 1'],
    ['a language tag (astral)', 'x\u{e0001}', '"x\\u{e0001}" has \\u{e0001} (U+E0001) at character 2'],
    ['a zero-width joiner', 'ord\u200der', '"ord\\u200der" has \\u200d (U+200D) at character 4'],
    ['a zero-width non-joiner', 'ord\u200cer', '"ord\\u200cer" has \\u200c (U+200C) at character 4'],
    ['a ZWJ emoji sequence', '👨\u200d👩', '"👨\\u200d👩" has \\u200d (U+200D) at character 2'],
    ['a subdivision flag (tag characters)', '🏴\u{e0067}', '"🏴\\u{e0067}" has \\u{e0067} (U+E0067) at character 2'],
  ];
  it.each(invisible)('refuses %s', (_name, tag, where) => {
    const problem = bizTagProblem(tag)!;
    expect(problem).toBe(
      `a biz tag must not contain invisible format characters, which make it look like another tag; ${where}`,
    );
    expect(problem).not.toMatch(/[\p{Cf}]/u);
  });

  it.each([
    ['a lone high surrogate', '\ud800', '"\\ud800" has \\ud800 (U+D800) at character 1'],
    ['a lone low surrogate', 'a\udc00b', '"a\\udc00b" has \\udc00 (U+DC00) at character 2'],
    ['a reversed pair', 'x\udc00\ud800', '"x\\udc00\\ud800" has \\udc00 (U+DC00) at character 2'],
  ])('refuses %s: no UTF-8 can hold it', (_name, tag, where) => {
    expect(bizTagProblem(tag)).toBe(
      `a biz tag must be well-formed Unicode (utf8mb4 cannot store half a surrogate pair); ${where}`,
    );
  });

  it.each([
    ['plain ASCII', 'order'],
    ['a leading space', ' order'],
    ['a no-break space', 'order\u00a0'],
    ['CJK', '订单'],
    ['an emoji', '🧾'],
    ['a variation selector', '☺\ufe0f'],
    ['SQL quotes and backslashes', `o'brien"\\`],
  ])('accepts %s', (_name, tag) => {
    expect(bizTagProblem(tag)).toBeUndefined();
  });

  it('reads a string of megabytes no further than a tag: its length refused, 40 characters shown', () => {
    const huge = 'x'.repeat(50_000_000);
    expect(bizTagProblem(huge)).toBe(
      'a biz tag has at most 128 characters (leaf_alloc.biz_tag is varchar(128)), got more than 1000000',
    );
    expect(bizTagProblem('😀'.repeat(129))).toBe(
      'a biz tag has at most 128 characters (leaf_alloc.biz_tag is varchar(128)), got 129',
    );
    expect(describeValue(huge)).toBe(`"${'x'.repeat(40)}…"`);
    expect(describeValue('😀'.repeat(41))).toBe(`"${'😀'.repeat(40)}…"`);
    expect(describeValue('😀'.repeat(40))).toBe(`"${'😀'.repeat(40)}"`);
    expect(describeValue(`${'x'.repeat(39)}\ud800y`)).toBe(`"${'x'.repeat(39)}\\ud800…"`);
  });

  it('still reports white space before control characters: a lone tab is an empty tag', () => {
    expect(bizTagProblem('\t')).toBe('a biz tag must not be empty or only white space');
    expect(bizTagProblem(' \n')).toBe('a biz tag must not be empty or only white space');
  });
});
