import { describe, expect, it } from '@jest/globals';
import { InvalidLeafOptionsError } from './errors/invalid-leaf-options.error.js';
import { LEAF_DEFAULTS, resolveLeafOptions, type LeafModuleOptions } from './leaf.options.js';

describe('resolveLeafOptions', () => {
  it('applies the defaults and normalises the tags', () => {
    const options = resolveLeafOptions({ bizTags: ['order', { tag: 'user', step: 500, description: 'users' }] });
    expect(options).toMatchObject({ ...LEAF_DEFAULTS });
    expect(options.bizTags).toEqual([
      { tag: 'order', step: 1000, description: null },
      { tag: 'user', step: 500, description: 'users' },
    ]);
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
    ['duplicate tag', { bizTags: ['a', { tag: 'a' }] }, 'bizTags[1].tag', /listed twice/],
    ['tag step 0', { bizTags: [{ tag: 'a', step: 0 }] }, 'bizTags[0].step', /from 1 to 1000000/],
    ['step 0', { bizTags: ['a'], step: 0 }, 'step', /integer from 1 to 1000000/],
    ['step 1.5', { bizTags: ['a'], step: 1.5 }, 'step', /integer/],
    ['step above maxStep', { bizTags: ['a'], step: 2000, maxStep: 1000 }, 'step', /from 1 to 1000/],
    ['threshold 0', { bizTags: ['a'], threshold: 0 }, 'threshold', /greater than 0 and at most 1/],
    ['threshold 1.5', { bizTags: ['a'], threshold: 1.5 }, 'threshold', /at most 1/],
    ['threshold NaN', { bizTags: ['a'], threshold: NaN }, 'threshold', /got NaN/],
    ['waitTimeoutMs -1', { bizTags: ['a'], waitTimeoutMs: -1 }, 'waitTimeoutMs', /from 1 to 600000/],
    ['maxBatchSize string', { bizTags: ['a'], maxBatchSize: '10' }, 'maxBatchSize', /got "10"/],
    ['dynamicStep string', { bizTags: ['a'], dynamicStep: 'yes' }, 'dynamicStep', /true or false/],
    ['retry delays inverted', { bizTags: ['a'], retryMinDelayMs: 500, retryMaxDelayMs: 100 }, 'retryMaxDelayMs', /at least/],
  ];

  it.each(bad)('rejects %s, naming the option and the allowed range', (_name, options, option, message) => {
    let thrown: unknown;
    try {
      resolveLeafOptions(options as LeafModuleOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidLeafOptionsError);
    expect(thrown).toMatchObject({ option, code: 'LEAF_INVALID_OPTIONS' });
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).toContain(`"${option}"`);
  });
});
