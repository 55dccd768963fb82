import { describe, expect, it } from '@jest/globals';
import { InvalidLeafOptionsError } from './errors/invalid-leaf-options.error.js';
import { resolveLeafOptions, type LeafModuleOptions } from './leaf.options.js';
import { InMemoryLeafStore } from './testing/in-memory-leaf.store.js';
import { LEAF_DEFAULTS } from './leaf.defaults.js';

/** The error resolveLeafOptions throws, checked to be an InvalidLeafOptionsError naming `option`. */
function refusal(options: unknown, option: string): string {
  let thrown: unknown;
  try {
    resolveLeafOptions(options as LeafModuleOptions);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidLeafOptionsError);
  expect(thrown).toMatchObject({ option, code: 'LEAF_INVALID_OPTIONS' });
  const message = (thrown as Error).message;
  expect(message).toContain(`Invalid LeafModule option "${option}": `);
  return message;
}

/** What a plain tag without its own tuning resolves to, besides its tag, step and description. */
const PLAIN = { threshold: 0.2, period: 'none', format: '{seq}', runwayMs: 60_000 } as const;

describe('resolveLeafOptions', () => {
  it('applies the defaults and normalises the tags', () => {
    const options = resolveLeafOptions({ bizTags: ['order', { tag: 'user', step: 500, description: 'users' }] });
    expect(options).toMatchObject({ ...LEAF_DEFAULTS });
    expect(options.bizTags).toEqual([
      {
        tag: 'order',
        step: 1000,
        stepConfigured: false,
        description: null,
        failoverSkip: 10_000_000,
        threshold: 0.2,
        period: 'none',
        format: '{seq}',
        runwayMs: 60_000,
      },
      {
        tag: 'user',
        step: 500,
        stepConfigured: true,
        description: 'users',
        failoverSkip: 10_000_000,
        threshold: 0.2,
        period: 'none',
        format: '{seq}',
        runwayMs: 60_000,
      },
    ]);
  });

  it("gives a tag its own threshold, or the module's", () => {
    const options = resolveLeafOptions({
      bizTags: ['order', { tag: 'user', threshold: 0.5 }, { tag: 'sku', threshold: '1' }],
      threshold: 0.1,
    });
    expect(options.bizTags.map((tag) => tag.threshold)).toEqual([0.1, 0.5, 1]);
    expect(refusal({ bizTags: [{ tag: 'a', threshold: 0 }] }, 'bizTags[0].threshold')).toBe(
      'Invalid LeafModule option "bizTags[0].threshold": expected a number greater than 0 and at most 1, got 0',
    );
    expect(refusal({ bizTags: ['b', { tag: 'a', threshold: '20%' }] }, 'bizTags[1].threshold')).toContain(
      '(a number, or a decimal string such as "0.2")',
    );
  });

  it('uses the module step for tags without their own', () => {
    expect(resolveLeafOptions({ bizTags: ['a'], step: 42 }).bizTags[0].step).toBe(42);
  });

  const bad: Array<[string, unknown, string, RegExp]> = [
    ['no options', undefined, 'options', /expected an object/],
    ['no bizTags', {}, 'bizTags', /non-empty array/],
    ['empty bizTags', { bizTags: [] }, 'bizTags', /non-empty array/],
    ['empty tag', { bizTags: [''] }, 'bizTags[0].tag', /not be empty/],
    ['blank tag', { bizTags: ['ok', '   '] }, 'bizTags[1].tag', /not be empty/],
    ['long tag', { bizTags: ['x'.repeat(129)] }, 'bizTags[0].tag', /at most 128/],
    ['number tag', { bizTags: [7] }, 'bizTags[0]', /string or \{ tag/],
    ['array as a tag entry', { bizTags: [['a']] }, 'bizTags[0]', /string or \{ tag.*got an array of 1/],
    ['duplicate tag', { bizTags: ['a', { tag: 'a' }] }, 'bizTags[1].tag', /"a" is listed twice/],
    ['tag step 0', { bizTags: [{ tag: 'a', step: 0 }] }, 'bizTags[0].step', /from 1 to 1000000/],
    ['step 0', { bizTags: ['a'], step: 0 }, 'step', /integer from 1 to 1000000/],
    ['step 1.5', { bizTags: ['a'], step: 1.5 }, 'step', /integer/],
    ['step above maxStep', { bizTags: ['a'], step: 2000, maxStep: 1000 }, 'step', /from 1 to 1000/],
    ['threshold 0', { bizTags: ['a'], threshold: 0 }, 'threshold', /greater than 0 and at most 1/],
    ['threshold 1.5', { bizTags: ['a'], threshold: 1.5 }, 'threshold', /at most 1/],
    ['threshold NaN', { bizTags: ['a'], threshold: NaN }, 'threshold', /got NaN/],
    ['waitTimeoutMs -1', { bizTags: ['a'], waitTimeoutMs: -1 }, 'waitTimeoutMs', /from 1 to 600000/],
    ['dynamicStep string', { bizTags: ['a'], dynamicStep: 'yes' }, 'dynamicStep', /true or false/],
    [
      'retry delays inverted',
      { bizTags: ['a'], retryMinDelayMs: 500, retryMaxDelayMs: 100 },
      'retryMaxDelayMs',
      /at least/,
    ],
  ];

  it.each(bad)('rejects %s, naming the option and the allowed range', (_name, options, option, message) => {
    expect(refusal(options, option)).toMatch(message);
  });

  it('keeps the message of a number out of range as it was, with no word about strings', () => {
    expect(refusal({ bizTags: ['a'], threshold: 2 }, 'threshold')).toBe(
      'Invalid LeafModule option "threshold": expected a number greater than 0 and at most 1, got 2',
    );
    expect(refusal({ bizTags: ['a'], step: -5 }, 'step')).toBe(
      'Invalid LeafModule option "step": expected an integer from 1 to 1000000 (maxStep), got -5',
    );
  });
});

describe('options from the environment (strings, as ConfigService.get() gives them)', () => {
  it('reads decimal digits as integers, a decimal as threshold and "true"/"false" as flags', () => {
    const numbers = { step: 500, maxStep: 100_000, segmentDurationMs: 60_000, waitTimeoutMs: 3000, maxWaiters: 10 };
    const more = { maxBatchSize: 100, reservationTimeoutMs: 5000, retryMinDelayMs: 50, checkIntervalMs: 100 };
    const strings = Object.fromEntries(
      Object.entries({ ...numbers, ...more }).map(([key, value]) => [key, String(value)]),
    );
    const flags = { dynamicStep: 'false', createMissingTags: 'true', giveBackOnShutdown: 'false' } as const;
    const options = resolveLeafOptions({
      bizTags: ['a', { tag: 'b', step: '20' }],
      ...strings,
      ...flags,
      threshold: '0.2',
      retryMaxDelayMs: '0500', // leading zeros are still plain decimal: no octal reading anywhere in JS
      tagRefreshIntervalMs: '0',
    });
    expect(options).toMatchObject({
      ...numbers,
      ...more,
      retryMaxDelayMs: 500,
      tagRefreshIntervalMs: 0,
      threshold: 0.2,
    });
    expect(options).toMatchObject({ dynamicStep: false, createMissingTags: true, giveBackOnShutdown: false });
    expect(options.bizTags).toEqual([
      // maxStep 100,000 here: ten of its reservations is the default skip.
      { tag: 'a', step: 500, stepConfigured: true, description: null, ...PLAIN, failoverSkip: 1_000_000 },
      { tag: 'b', step: 20, stepConfigured: true, description: null, ...PLAIN, failoverSkip: 1_000_000 },
    ]);
  });

  it.each(['1', '0.5', '1.0', '0.25'])('reads threshold %j', (threshold) => {
    expect(resolveLeafOptions({ bizTags: ['a'], threshold }).threshold).toBe(Number(threshold));
  });

  it('reads "-0" as 0, not -0', () => {
    expect(resolveLeafOptions({ bizTags: ['a'], tagRefreshIntervalMs: '-0' }).tagRefreshIntervalMs).toBe(0); // Object.is
  });

  const INTEGER_HINT = '(a number, or a string of decimal digits such as "1000")';
  const looseIntegers: Array<[string, string]> = [
    ['5e2', 'an exponent'],
    [' 500', 'a leading space'],
    ['500 ', 'a trailing space'],
    ['500\n', 'a trailing newline'],
    ['500abc', 'trailing letters'],
    ['', 'the empty string'],
    ['0x10', 'hexadecimal'],
    ['0b11', 'binary'],
    ['+500', 'a plus sign'],
    ['500.0', 'a decimal point'],
    ['1_000', 'a digit separator'],
    ['1,000', 'a thousands comma'],
    ['Infinity', 'Infinity'],
    ['٥٠٠', 'Arabic-Indic digits'],
  ];
  it.each(looseIntegers)('refuses step %j (%s), saying what is accepted', (step) => {
    expect(refusal({ bizTags: ['a'], step }, 'step')).toBe(
      `Invalid LeafModule option "step": expected an integer from 1 to 1000000 (maxStep), got ${JSON.stringify(step)} ${INTEGER_HINT}`,
    );
  });

  it.each(looseIntegers)('refuses a bizTags entry step %j (%s) as the top-level step', (step) => {
    expect(refusal({ bizTags: [{ tag: 'a', step }] }, 'bizTags[0].step')).toContain(
      `expected an integer from 1 to 1000000 (maxStep), got ${JSON.stringify(step)} ${INTEGER_HINT}`,
    );
  });

  it.each(['5e2', ' 500', '500abc', '', '0x10'])('refuses %j for every other integer option', (value) => {
    const keys = Object.keys(LEAF_DEFAULTS).filter(
      (key) => typeof LEAF_DEFAULTS[key as keyof typeof LEAF_DEFAULTS] === 'number',
    );
    for (const key of keys.filter((key) => key !== 'threshold')) {
      expect(refusal({ bizTags: ['a'], [key]: value }, key)).toMatch(
        /expected an integer from \d+ to \d+.*, got .* \(a number, or a string of decimal digits such as "\d+"\)$/,
      );
    }
  });

  it('checks a digit string against the range like a number, with an example inside the range', () => {
    expect(refusal({ bizTags: ['a'], step: '0' }, 'step')).toContain('from 1 to 1000000 (maxStep), got "0"');
    expect(refusal({ bizTags: ['a'], step: '-5' }, 'step')).toContain('got "-5"');
    expect(refusal({ bizTags: ['a'], maxStep: '100', step: '1000' }, 'step')).toBe(
      'Invalid LeafModule option "step": expected an integer from 1 to 100 (maxStep), got "1000" (a number, or a string of decimal digits such as "100")',
    );
    expect(refusal({ bizTags: [{ tag: 'a', step: '2000' }], maxStep: '1000' }, 'bizTags[0].step')).toContain(
      'from 1 to 1000 (maxStep)',
    );
    expect(refusal({ bizTags: ['a'], step: '99999999999999999999' }, 'step')).toContain('got "99999999999999999999"');
  });

  it.each(['.5', '0.', '2e-1', ' 0.2', '0.2 ', '0,2', '', '0x1', 'NaN', '1/5', '20%'])(
    'refuses threshold %j',
    (threshold) => {
      expect(refusal({ bizTags: ['a'], threshold }, 'threshold')).toBe(
        `Invalid LeafModule option "threshold": expected a number greater than 0 and at most 1, got ${JSON.stringify(threshold)} ` +
          '(a number, or a decimal string such as "0.2")',
      );
    },
  );

  it.each(['0', '1.5', '-0.2'])('refuses threshold %j, outside (0, 1]', (threshold) => {
    expect(refusal({ bizTags: ['a'], threshold }, 'threshold')).toContain(`at most 1, got "${threshold}"`);
  });

  it.each(['TRUE', 'False', ' true', 'true ', 'yes', 'no', '1', '0', 'on', ''])('refuses flag %j', (value) => {
    for (const key of ['dynamicStep', 'createMissingTags', 'giveBackOnShutdown']) {
      expect(refusal({ bizTags: ['a'], [key]: value }, key)).toBe(
        `Invalid LeafModule option "${key}": expected true or false, got ${JSON.stringify(value)} (a boolean, or the string "true" or "false")`,
      );
    }
  });
});

describe('unknown keys', () => {
  const cases: Array<[string, unknown, string, string]> = [
    ["'stpe' in an entry", { bizTags: [{ tag: 'x', stpe: 10 }] }, 'bizTags[0].stpe', 'did you mean "step"?'],
    ["'tga' in an entry", { bizTags: [{ tga: 'x' }] }, 'bizTags[0].tga', 'did you mean "tag"?'],
    [
      "'Description' in an entry",
      { bizTags: ['a', { tag: 'x', Description: 'd' }] },
      'bizTags[1].Description',
      'did you mean "description"?',
    ],
    ["'stepp' at the top", { bizTags: ['a'], stepp: 3 }, 'stepp', 'did you mean "step"?'],
    ["'maxstep' at the top", { bizTags: ['a'], maxstep: 3 }, 'maxstep', 'did you mean "maxStep"?'],
    ["'waitTimeout' at the top", { bizTags: ['a'], waitTimeout: 3 }, 'waitTimeout', 'did you mean "waitTimeoutMs"?'],
    ["'bizTag' at the top", { bizTags: ['a'], bizTag: 'b' }, 'bizTag', 'did you mean "bizTags"?'],
  ];
  it.each(cases)('refuses %s, suggesting the nearest key', (_name, options, option, hint) => {
    expect(refusal(options, option)).toContain(hint);
  });

  it('lists the keys of an entry', () => {
    expect(refusal({ bizTags: [{ tag: 'x', stpe: 10 }] }, 'bizTags[0].stpe')).toBe(
      'Invalid LeafModule option "bizTags[0].stpe": is not a key of a bizTags entry (did you mean "step"?); ' +
        'an entry has tag, step, description, threshold, runwayMs, failoverSkip, period, format, gapless',
    );
  });

  it('lists the options, and suggests nothing when no key is near', () => {
    const message = refusal({ bizTags: ['a'], colour: 'red' }, 'colour');
    expect(message).toMatch(
      /^Invalid LeafModule option "colour": is not a LeafModule option; the options are bizTags, step, threshold, /,
    );
    expect(message).not.toContain('did you mean');
    expect(refusal({ bizTags: [{ tag: 'x', id: 1 }] }, 'bizTags[0].id')).not.toContain('did you mean');
  });

  it('refuses an unknown key even when its value is undefined, and checks keys before the tag', () => {
    refusal({ bizTags: [{ tag: 'x', stpe: undefined }] }, 'bizTags[0].stpe');
    refusal({ bizTags: [{ tag: '', stpe: 1 }] }, 'bizTags[0].stpe');
  });

  it('accepts the module extras forRoot also passes through', () => {
    expect(() =>
      resolveLeafOptions({ bizTags: ['a'], dataSource: 'ids', isGlobal: true } as LeafModuleOptions),
    ).not.toThrow();
  });
});

describe('tags holding control or invisible characters', () => {
  it('refuses a control character in a configured tag as bizTags[i].tag', () => {
    expect(refusal({ bizTags: ['ok', 'a\nb'] }, 'bizTags[1].tag')).toBe(
      'Invalid LeafModule option "bizTags[1].tag": a biz tag must not contain control characters or line breaks; ' +
        '"a\\nb" has \\n (U+000A) at character 2',
    );
    expect(refusal({ bizTags: [{ tag: 'order\u200b' }] }, 'bizTags[0].tag')).toContain('invisible format characters');
    expect(refusal({ bizTags: ['\ud800'] }, 'bizTags[0].tag')).toContain('well-formed Unicode');
  });
});

describe('the store option', () => {
  it('accepts any object with the LeafStore methods and an engine name', () => {
    const store = new InMemoryLeafStore();
    expect(() => resolveLeafOptions({ bizTags: ['a'], store })).not.toThrow();
    const plain = { engine: 'mine', ...Object.fromEntries(METHODS.map((method) => [method, async () => undefined])) };
    expect(() => resolveLeafOptions({ bizTags: ['a'], store: plain as never })).not.toThrow();
    expect(() => resolveLeafOptions({ bizTags: ['a'], store: undefined })).not.toThrow();
  });

  it('names what a store lacks, and the class passed where its instance belongs', () => {
    expect(refusal({ bizTags: ['a'], store: { engine: 'x', reserve() {}, listTags() {} } }, 'store')).toBe(
      'Invalid LeafModule option "store": expected a LeafStore, got an object without findTag, createTags, giveBack, ' +
        "insertTag, setStep. Pass an instance of a class that implements LeafStore (exported by 'nest-leaf'), or " +
        'leave store out to keep leaf_alloc in the TypeORM DataSource.',
    );
    expect(refusal({ bizTags: ['a'], store: InMemoryLeafStore }, 'store')).toContain(
      'got the class or function InMemoryLeafStore (pass an instance, such as new InMemoryLeafStore(…)) without listTags',
    );
    expect(refusal({ bizTags: ['a'], store: 'redis' }, 'store')).toContain('got "redis" without listTags, findTag');
    expect(refusal({ bizTags: ['a'], store: null }, 'store')).toContain('engine (a string)');
    class HalfStore {
      reserve() {}
    }
    expect(refusal({ bizTags: ['a'], store: new HalfStore() }, 'store')).toContain('got an instance of HalfStore');
  });

  it('refuses store together with dataSource, which names the DataSource of the store it replaces', () => {
    expect(refusal({ bizTags: ['a'], store: new InMemoryLeafStore(), dataSource: 'ids' }, 'dataSource')).toContain(
      'names the TypeORM DataSource of the default store ("ids"), but store replaces that store',
    );
  });
});

const METHODS = ['listTags', 'findTag', 'createTags', 'reserve', 'giveBack', 'insertTag', 'setStep'];
