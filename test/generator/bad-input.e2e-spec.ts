/**
 * Bad input through the library: the whole catalogue in one place, against real MariaDB.
 *
 * Every case asserts the exact error class, a message that says what was wrong and how to fix it, that the
 * answer comes promptly (well under waitTimeoutMs: nothing hangs), and that a healthy tag (`order`) keeps
 * serving consecutive, unique IDs afterwards. The last test checks every ID issued in the suite is unique.
 * Option parsing on its own (every loose string, every key) is unit-tested in libs/leaf/src/leaf.options*.spec.ts;
 * here are the cases as a host meets them, through forRoot, forRootAsync and a running app.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DynamicModule, LoggerService } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { inspect } from 'node:util';
import { isNativeError } from 'node:util/types';
import { DataSource, type DataSourceOptions } from 'typeorm';
import {
  BizTagExistsError,
  IdGenerator,
  IdOverflowError,
  InvalidArgumentError,
  InvalidLeafOptionsError,
  LeafAdmin,
  LeafError,
  LeafModule,
  LeafStoreError,
  MAX_ID,
  UnknownBizTagError,
  type LeafModuleOptions,
} from 'nest-leaf';
import { createTableSql } from 'nest-leaf/typeorm';
import { expectStrictlyIncreasing, expectUnique, sleep } from '../../harness/assertions.js';
import { freePort } from '../support/ports.js';
import { freshDatabase, mysqlDataSourceOptions, type TestDatabase } from '../../harness/mariadb.js';

const MAX_BATCH = 100;
const WAIT_TIMEOUT_MS = 4000;
/** A call that fails must fail within this: a quarter of waitTimeoutMs. */
const PROMPT_MS = 1000;
/** A boot that fails must fail within this. */
const BOOT_PROMPT_MS = 3000;

const MAIN_OPTIONS: LeafModuleOptions = {
  bizTags: ['order'],
  step: 10,
  dynamicStep: false,
  threshold: 0.5,
  waitTimeoutMs: WAIT_TIMEOUT_MS,
  maxBatchSize: MAX_BATCH,
  retryMinDelayMs: 20,
  retryMaxDelayMs: 100,
};

type ErrorClass = abstract new (...args: never[]) => Error;

/** What a bad input must produce: the class, phrases of the message, and properties (code, argument, …). */
interface Expected {
  readonly error: ErrorClass;
  readonly says: ReadonlyArray<string | RegExp>;
  readonly props?: Record<string, unknown>;
}

const silent: LoggerService = { log() {}, error() {}, warn() {}, debug() {}, verbose() {}, fatal() {} };

/** How a promise settled, and how long it took; a hang is reported as such instead of a Jest timeout. */
async function settle<T>(promise: Promise<T>, limitMs: number) {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<{ hung: true }>((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), limitMs * 3);
  });
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    hung,
  ]);
  clearTimeout(timer);
  return { ...outcome, ms: performance.now() - started };
}

/** Runs a library call that must return a promise and reject promptly; returns the error. */
async function rejection(call: () => unknown, limitMs = PROMPT_MS): Promise<unknown> {
  let returned: unknown;
  try {
    returned = call();
  } catch (error) {
    throw new Error(`expected a rejected promise, but the call threw synchronously: ${String(error)}`, {
      cause: error,
    });
  }
  expect(returned).toBeInstanceOf(Promise);
  const outcome = await settle(returned as Promise<unknown>, limitMs);
  if ('hung' in outcome) throw new Error(`no answer within ${limitMs * 3} ms: the call hangs`);
  if ('value' in outcome) throw new Error(`expected a rejection, got ${String(outcome.value)}`);
  expect(outcome.ms).toBeLessThan(limitMs);
  return outcome.error;
}

function expectError(error: unknown, expected: Expected): void {
  expect(error).toBeInstanceOf(expected.error);
  const message = (error as Error).message;
  // A raw NUL or newline would cut or split the log line that shows the message: they must come escaped.
  expect(message).not.toMatch(/[\p{Cc}\p{Cs}\u2028\u2029]/u);
  for (const phrase of expected.says) {
    if (typeof phrase === 'string') expect(message).toContain(phrase);
    else expect(message).toMatch(phrase);
  }
  if (expected.props) expect(error).toMatchObject(expected.props);
}

/** A Nest app with its own DataSource and LeafModule. */
interface LeafApp {
  readonly app: TestingModule;
  readonly ids: IdGenerator;
  close(): Promise<void>;
}

interface BootFailure {
  readonly error: unknown;
  readonly ms: number;
  /** Whether compile() (module wiring) failed, rather than init() (the generator's startup). */
  readonly inCompile: boolean;
  /** DataSources still initialized after the failure and after closing what could be closed. */
  readonly leftOpen: number;
}

async function boot(leaf: DynamicModule, dataSource: Record<string, unknown>): Promise<LeafApp | BootFailure> {
  const initializing: Array<Promise<DataSource | undefined>> = [];
  const started = performance.now();
  let moduleRef: TestingModule | undefined;
  try {
    moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () =>
            ({
              autoLoadEntities: true,
              retryAttempts: 0,
              extra: { connectionLimit: 4 },
              ...dataSource,
            }) as unknown as DataSourceOptions,
          dataSourceFactory: async (options) => {
            const init = new DataSource(options!).initialize();
            initializing.push(init.catch(() => undefined));
            return init;
          },
        }),
        leaf,
      ],
    })
      .setLogger(silent)
      .compile();
    moduleRef.useLogger(false);
    const app = await moduleRef.init();
    return { app, ids: app.get(IdGenerator), close: () => app.close() };
  } catch (error) {
    const ms = performance.now() - started;
    // What a host does after a failed bootstrap: close the app, if there is one.
    await moduleRef?.close();
    const dataSources = await Promise.all(initializing);
    const open = dataSources.filter((d) => d?.isInitialized);
    // Nothing a failed compile() created is closed by Nest: tidy up so the suite leaves nothing behind.
    await Promise.all(open.map((d) => d!.destroy()));
    return { error, ms, inCompile: moduleRef === undefined, leftOpen: open.length };
  }
}

async function startApp(database: string, leaf: DynamicModule): Promise<LeafApp> {
  const result = await boot(leaf, mysqlDataSourceOptions(database));
  if ('error' in result) throw result.error;
  return result;
}

async function bootFailure(leaf: DynamicModule, dataSource: Record<string, unknown>): Promise<BootFailure> {
  const result = await boot(leaf, dataSource);
  if (!('error' in result)) {
    await result.close();
    throw new Error('expected the boot to fail, but it succeeded');
  }
  expect(result.ms).toBeLessThan(BOOT_PROMPT_MS);
  return result;
}

/** A port on which nothing listens. */
// ---------------------------------------------------------------------------------------------------------
// The catalogue
// ---------------------------------------------------------------------------------------------------------

const invalidTag = (...says: Array<string | RegExp>): Expected => ({
  error: InvalidArgumentError,
  says: ['Invalid biz tag: ', ...says],
  props: { argument: 'bizTag', code: 'LEAF_INVALID_ARGUMENT' },
});
const unknownTag = (tag: string): Expected => ({
  error: UnknownBizTagError,
  says: [
    `Unknown biz tag "${tag}"`,
    'has no row in leaf_alloc',
    'Add it to bizTags, or insert a row',
    'INSERT INTO leaf_alloc',
  ],
  props: { bizTag: tag, code: 'LEAF_UNKNOWN_BIZ_TAG' },
});
/** What nextId, startup and createTag all say of a spelling the table's collation matches to another tag's row. */
const collationSays = (tag: string, row: string) => [
  `"${tag}" has no leaf_alloc row of its own: the table's collation makes it equal to "${row}", another tag's row.`,
  `Use one spelling ("${row}"), or make biz_tag compare exactly: `,
  'ALTER TABLE leaf_alloc MODIFY biz_tag varchar(128) COLLATE utf8mb4_bin NOT NULL.',
];
/** A spelling the table's case- and accent-insensitive collation matches to another tag's row. */
const aliasOf = (tag: string, row: string): Expected => ({
  error: UnknownBizTagError,
  says: [`Unknown biz tag "${tag}": `, ...collationSays(tag, row)],
  props: { bizTag: tag, similar: row, code: 'LEAF_UNKNOWN_BIZ_TAG' },
});
const EMPTY = 'must not be empty or only white space';
const CONTROL = 'a biz tag must not contain control characters or line breaks; ';
const INVISIBLE = 'a biz tag must not contain invisible format characters, which make it look like another tag; ';
const SURROGATE = 'a biz tag must be well-formed Unicode (utf8mb4 cannot store half a surrogate pair); ';

/** Biz tags: each is tried with nextId and with nextIds(tag, 2). */
const TAG_CASES: ReadonlyArray<readonly [name: string, tag: unknown, expected: Expected]> = [
  ['an unknown tag (not configured, no row)', 'no_such_tag', unknownTag('no_such_tag')],
  ['the empty string', '', invalidTag(EMPTY)],
  ['three spaces', '   ', invalidTag(EMPTY)],
  ['a tab', '\t', invalidTag(EMPTY)],
  ['mixed white space', ' \t\r\n', invalidTag(EMPTY)],
  ['129 characters', 'x'.repeat(129), invalidTag('at most 128 characters', 'varchar(128)', 'got 129')],
  ['100,000 characters', 'x'.repeat(100_000), invalidTag('at most 128 characters', 'got 100000')],
  ['exactly 128 characters, unknown', 'y'.repeat(128), unknownTag('y'.repeat(128))],
  ['exactly 128 CJK characters, unknown', '单'.repeat(128), unknownTag('单'.repeat(128))],
  ['undefined', undefined, invalidTag('must be a string, got undefined')],
  ['null', null, invalidTag('must be a string, got null')],
  ['the number 42', 42, invalidTag('must be a string, got 42')],
  ['a boolean', true, invalidTag('must be a string, got true')],
  ['a bigint', 7n, invalidTag('must be a string, got 7n')],
  ['an object', {}, invalidTag('must be a string, got an object')],
  ['a boxed String', new String('order'), invalidTag('must be a string, got an object')],
  ['an empty array', [], invalidTag('must be a string, got an array of 0')],
  ["an array holding 'order'", ['order'], invalidTag('must be a string, got an array of 1')],
  ['a Symbol', Symbol('order'), invalidTag('must be a string, got Symbol(order)')],
  ['SQL injection: DROP TABLE', "'; DROP TABLE leaf_alloc; --", unknownTag("'; DROP TABLE leaf_alloc; --")],
  ["SQL injection: ' OR '1'='1", "order' OR '1'='1", unknownTag("order' OR '1'='1")],
  ['SQL injection: " OR "1"="1', 'order" OR "1"="1', unknownTag('order" OR "1"="1')],
  ['LIKE wildcard %', '%', unknownTag('%')],
  ['LIKE wildcard _', '_', unknownTag('_')],
  ["LIKE pattern matching 'order'", 'ord%', unknownTag('ord%')],
  ["LIKE pattern matching 'order' with _", 'o_der', unknownTag('o_der')],
  ['a backslash', '\\', unknownTag('\\')],
  ["'order' and a backslash", 'order\\', unknownTag('order\\')],
  ['Cyrillic, no row', 'заказ', unknownTag('заказ')],
  ['CJK, no row', '库存', unknownTag('库存')],
  ['an emoji (astral plane), no row', '🧾', unknownTag('🧾')],
  ['a ZWJ emoji sequence', '👨\u200d👩', invalidTag(INVISIBLE, '"👨\\u200d👩" has \\u200d (U+200D) at character 2')],
  [
    "'order' with a zero-width joiner inside",
    'ord\u200der',
    invalidTag(INVISIBLE, 'has \\u200d (U+200D) at character 4'),
  ],
  ["'order' with a zero-width non-joiner", 'order\u200c', invalidTag(INVISIBLE, 'has \\u200c (U+200C) at character 6')],
  ['a tag character (invisible)', 'order\u{e0061}', invalidTag(INVISIBLE, 'has \\u{e0061} (U+E0061) at character 6')],
  ['50,000,000 characters', 'x'.repeat(50_000_000), invalidTag('at most 128 characters', 'got more than 1000000')],
  ['a lone surrogate', '\ud800', invalidTag(SURROGATE, '"\\ud800" has \\ud800 (U+D800) at character 1')],
  ["'order' and a lone low surrogate", 'order\udc00', invalidTag(SURROGATE, 'has \\udc00 (U+DC00) at character 6')],
  ['a NUL inside', 'a\0b', invalidTag(CONTROL, '"a\\u0000b" has \\u0000 (U+0000) at character 2')],
  ["'order' and a NUL (no C-string truncation)", 'order\0', invalidTag(CONTROL, 'has \\u0000 (U+0000) at character 6')],
  ["'order' and a newline", 'order\n', invalidTag(CONTROL, '"order\\n" has \\n (U+000A) at character 6')],
  ["'order' and CR LF", 'order\r\n', invalidTag(CONTROL, '"order\\r\\n" has \\r (U+000D) at character 6')],
  ["'order' and a tab", 'order\t', invalidTag(CONTROL, '"order\\t" has \\t (U+0009) at character 6')],
  ['an ANSI colour escape', '\u001b[31morder', invalidTag(CONTROL, 'has \\u001b (U+001B) at character 1')],
  ["'order' and DEL", 'order\u007f', invalidTag(CONTROL, '"order\\u007f" has \\u007f (U+007F)')],
  ["'order' and a C1 control (NEL)", 'order\u0085', invalidTag(CONTROL, '"order\\u0085" has \\u0085 (U+0085)')],
  ["'order' and a line separator", 'order\u2028', invalidTag(CONTROL, '"order\\u2028" has \\u2028 (U+2028)')],
  ["'order' and a zero-width space", 'order\u200b', invalidTag(INVISIBLE, '"order\\u200b" has \\u200b (U+200B)')],
  [
    "a byte order mark and 'order'",
    '\ufefforder',
    invalidTag(INVISIBLE, '"\\ufefforder" has \\ufeff (U+FEFF) at character 1'),
  ],
  ["'order' and a right-to-left override", 'order\u202e', invalidTag(INVISIBLE, 'has \\u202e (U+202E)')],
  ["'order' and a soft hyphen", 'ord\u00ader', invalidTag(INVISIBLE, 'has \\u00ad (U+00AD) at character 4')],
  ["'order' with a leading space", ' order', unknownTag(' order')],
  ["'order' and a no-break space", 'order\u00a0', unknownTag('order\u00a0')],
  ["full-width 'ＯＲＤＥＲ'", 'ＯＲＤＥＲ', unknownTag('ＯＲＤＥＲ')],
  ["'ORDER' (the collation ignores case)", 'ORDER', aliasOf('ORDER', 'order')],
  ["'Order'", 'Order', aliasOf('Order', 'order')],
  ["'order ' (the collation pads spaces)", 'order ', aliasOf('order ', 'order')],
  ["'ördér' (the collation ignores accents)", 'ördér', aliasOf('ördér', 'order')],
  ['100 emoji: 100 characters, though 200 UTF-16 units', '🧾'.repeat(100), unknownTag('🧾'.repeat(100))],
  ['129 emoji', '🧾'.repeat(129), invalidTag('at most 128 characters', 'got 129')],
];

const badCount = (got: string): Expected => ({
  error: InvalidArgumentError,
  says: [`nextIds count must be an integer from 1 to ${MAX_BATCH} (maxBatchSize), got ${got}.`],
  props: { argument: 'count', code: 'LEAF_INVALID_ARGUMENT' },
});

/** Counts of nextIds('order', count). */
const COUNT_CASES: ReadonlyArray<readonly [name: string, count: unknown, expected: Expected]> = [
  ['0', 0, badCount('0')],
  ['-0', -0, badCount('0')],
  ['-1', -1, badCount('-1')],
  ['1.5', 1.5, badCount('1.5')],
  ['NaN', NaN, badCount('NaN')],
  ['Infinity', Infinity, badCount('Infinity')],
  ['-Infinity', -Infinity, badCount('-Infinity')],
  ['maxBatchSize + 1', MAX_BATCH + 1, badCount(String(MAX_BATCH + 1))],
  ['Number.MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER, badCount('9007199254740991')],
  ['1e21', 1e21, badCount('1e+21')],
  ["the string '5'", '5', badCount('"5"')],
  ['the empty string', '', badCount('""')],
  ['null', null, badCount('null')],
  ['undefined', undefined, badCount('undefined')],
  ['true', true, badCount('true')],
  ['the bigint 1n', 1n, badCount('1n')],
  ['an array holding 5', [5], badCount('an array of 1')],
];

const DIGITS = '(a number, or a string of decimal digits such as "1000")';
const FLAG = '(a boolean, or the string "true" or "false")';

/** Module options, each refused by forRoot() at the call site and by forRootAsync() at boot. */
const OPTION_CASES: ReadonlyArray<readonly [name: string, options: unknown, option: string, says: string]> = [
  ['step 0', { bizTags: ['opt_tag'], step: 0 }, 'step', 'expected an integer from 1 to 1000000 (maxStep), got 0'],
  ['step -5', { bizTags: ['opt_tag'], step: -5 }, 'step', 'got -5'],
  ['step 1.5', { bizTags: ['opt_tag'], step: 1.5 }, 'step', 'got 1.5'],
  ["step '5e2' (not plain decimal digits)", { bizTags: ['opt_tag'], step: '5e2' }, 'step', `got "5e2" ${DIGITS}`],
  ["step ' 500' (a space)", { bizTags: ['opt_tag'], step: ' 500' }, 'step', `got " 500" ${DIGITS}`],
  ["step '500abc'", { bizTags: ['opt_tag'], step: '500abc' }, 'step', `got "500abc" ${DIGITS}`],
  ["step '' (an empty variable)", { bizTags: ['opt_tag'], step: '' }, 'step', `got "" ${DIGITS}`],
  ["step '0x10'", { bizTags: ['opt_tag'], step: '0x10' }, 'step', `got "0x10" ${DIGITS}`],
  [
    "step '0' (digits, out of range)",
    { bizTags: ['opt_tag'], step: '0' },
    'step',
    'from 1 to 1000000 (maxStep), got "0"',
  ],
  ['step NaN', { bizTags: ['opt_tag'], step: NaN }, 'step', 'got NaN'],
  [
    'step above maxStep',
    { bizTags: ['opt_tag'], step: 1000, maxStep: 100 },
    'step',
    'from 1 to 100 (maxStep), got 1000',
  ],
  ['maxStep 0', { bizTags: ['opt_tag'], maxStep: 0 }, 'maxStep', 'from 1 to 2147483647, got 0'],
  ['threshold 0', { bizTags: ['opt_tag'], threshold: 0 }, 'threshold', 'greater than 0 and at most 1, got 0'],
  ['threshold 1.5', { bizTags: ['opt_tag'], threshold: 1.5 }, 'threshold', 'greater than 0 and at most 1, got 1.5'],
  ['threshold NaN', { bizTags: ['opt_tag'], threshold: NaN }, 'threshold', 'got NaN'],
  [
    "threshold '.5'",
    { bizTags: ['opt_tag'], threshold: '.5' },
    'threshold',
    'got ".5" (a number, or a decimal string such as "0.2")',
  ],
  [
    "threshold '1.5' (a string out of range)",
    { bizTags: ['opt_tag'], threshold: '1.5' },
    'threshold',
    'at most 1, got "1.5"',
  ],
  ['bizTags a string', { bizTags: 'opt_tag' }, 'bizTags', 'expected a non-empty array of tags'],
  ['bizTags empty', { bizTags: [] }, 'bizTags', 'got an array of 0'],
  ['bizTags missing', { step: 10 }, 'bizTags', 'got undefined'],
  ['a duplicated tag', { bizTags: ['opt_tag', 'opt_tag'] }, 'bizTags[1].tag', '"opt_tag" is listed twice'],
  ['an empty tag', { bizTags: ['opt_tag', ''] }, 'bizTags[1].tag', EMPTY],
  ['a white-space tag', { bizTags: [' '] }, 'bizTags[0].tag', EMPTY],
  ['a 129-character tag', { bizTags: ['x'.repeat(129)] }, 'bizTags[0].tag', 'at most 128 characters'],
  [
    'a number as tag',
    { bizTags: [42] },
    'bizTags[0]',
    'expected a string or { tag, step?, description?, threshold?, runwayMs?, period?, format? }, got 42',
  ],
  ['an object without tag', { bizTags: [{ step: 5 }] }, 'bizTags[0].tag', 'must be a string, got undefined'],
  [
    'a tag with step 0',
    { bizTags: [{ tag: 'opt_tag', step: 0 }] },
    'bizTags[0].step',
    'from 1 to 1000000 (maxStep), got 0',
  ],
  ["a tag with step '1e3'", { bizTags: [{ tag: 'opt_tag', step: '1e3' }] }, 'bizTags[0].step', `got "1e3" ${DIGITS}`],
  [
    "a tag entry with 'stpe'",
    { bizTags: [{ tag: 'opt_tag', stpe: 10 }] },
    'bizTags[0].stpe',
    'is not a key of a bizTags entry (did you mean "step"?); an entry has tag, step, description',
  ],
  ["a tag entry with 'tga'", { bizTags: [{ tga: 'opt_tag' }] }, 'bizTags[0].tga', '(did you mean "tag"?)'],
  [
    'a tag holding a newline',
    { bizTags: ['opt\ntag'] },
    'bizTags[0].tag',
    `${CONTROL}"opt\\ntag" has \\n (U+000A) at character 4`,
  ],
  [
    'a tag holding a NUL',
    { bizTags: ['opt_tag', { tag: 'x\0' }] },
    'bizTags[1].tag',
    `${CONTROL}"x\\u0000" has \\u0000 (U+0000)`,
  ],
  [
    'a tag holding a C1 control',
    { bizTags: ['opt\u009btag'] },
    'bizTags[0].tag',
    `${CONTROL}"opt\\u009btag" has \\u009b`,
  ],
  ['a tag holding a zero-width space', { bizTags: ['opt\u200btag'] }, 'bizTags[0].tag', `${INVISIBLE}"opt\\u200btag"`],
  ['a tag holding a lone surrogate', { bizTags: ['opt\ud800'] }, 'bizTags[0].tag', `${SURROGATE}"opt\\ud800"`],
  [
    'a 257-character description',
    { bizTags: [{ tag: 'opt_tag', description: 'd'.repeat(257) }] },
    'bizTags[0].description',
    'at most 256 characters',
  ],
  ['waitTimeoutMs -1', { bizTags: ['opt_tag'], waitTimeoutMs: -1 }, 'waitTimeoutMs', 'from 1 to 600000, got -1'],
  ['waitTimeoutMs 0', { bizTags: ['opt_tag'], waitTimeoutMs: 0 }, 'waitTimeoutMs', 'got 0'],
  ['maxBatchSize 0', { bizTags: ['opt_tag'], maxBatchSize: 0 }, 'maxBatchSize', 'got 0'],
  [
    'retryMaxDelayMs below retryMinDelayMs',
    { bizTags: ['opt_tag'], retryMinDelayMs: 500, retryMaxDelayMs: 100 },
    'retryMaxDelayMs',
    'must be at least retryMinDelayMs (500), got 100',
  ],
  [
    "dynamicStep 'yes'",
    { bizTags: ['opt_tag'], dynamicStep: 'yes' },
    'dynamicStep',
    `expected true or false, got "yes" ${FLAG}`,
  ],
  [
    "giveBackOnShutdown 'TRUE'",
    { bizTags: ['opt_tag'], giveBackOnShutdown: 'TRUE' },
    'giveBackOnShutdown',
    `got "TRUE" ${FLAG}`,
  ],
  ['options null', null, 'options', 'expected an object with at least { bizTags }, got null'],
  [
    "a misspelt option 'stepp'",
    { bizTags: ['opt_tag'], stepp: 3 },
    'stepp',
    'is not a LeafModule option (did you mean "step"?); the options are bizTags, step, ',
  ],
];

// ---------------------------------------------------------------------------------------------------------

describe('bad input through the library', () => {
  let db: TestDatabase;
  let main: LeafApp;
  /** Every ID issued from the main database, per tag, in the order issued. */
  const issued = new Map<string, bigint[]>();
  const record = (tag: string, ids: bigint[]) => {
    const list = issued.get(tag) ?? [];
    list.push(...ids);
    issued.set(tag, list);
  };

  /** The healthy tag still serves: promptly, and (one node, fixed step) the very next IDs, so nothing was consumed. */
  async function expectOrderServes(): Promise<void> {
    const one = await settle(main.ids.nextId('order'), PROMPT_MS);
    const batch = await settle(main.ids.nextIds('order', 3), PROMPT_MS);
    if (!('value' in one) || !('value' in batch)) throw new Error(`order stopped serving: ${inspect([one, batch])}`);
    expect(Math.max(one.ms, batch.ms)).toBeLessThan(PROMPT_MS);
    const before = issued.get('order') ?? [];
    const fresh = [one.value, ...batch.value];
    expectStrictlyIncreasing([...before.slice(-1), ...fresh]);
    if (before.length > 0) expect(fresh[0]).toBe(before.at(-1)! + 1n);
    record('order', fresh);
  }

  /** `max_id` of every row but the healthy tag's, to show a bad call changed nothing. */
  const otherRows = () =>
    db.query<Array<{ biz_tag: string; max_id: string; step: number }>>(
      "SELECT biz_tag, CAST(max_id AS CHAR) AS max_id, step FROM leaf_alloc WHERE biz_tag <> 'order' ORDER BY biz_tag",
    );

  beforeAll(async () => {
    db = await freshDatabase('bad_input');
    const rows: Array<[string, bigint, number]> = [
      ['订单', 1n, 10],
      ['lazy_step_zero', 1n, 0],
      ['lazy_step_negative', 1n, -3],
      ["o'brien", 1n, 0],
      ['alias_a', 1n, 10],
      ['edge_lazy', MAX_ID, 10],
      ['edge_exact', MAX_ID - 10n, 10],
      ['gone', 1n, 10],
      ['cfg_step_zero', 1n, 0],
      ['cfg_step_negative', 1n, -3],
      ['cfg_edge', MAX_ID, 10],
    ];
    for (const [tag, maxId, step] of rows) {
      await db.query('INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES (?, CAST(? AS SIGNED), ?)', [
        tag,
        maxId.toString(),
        step,
      ]);
    }
    main = await startApp(db.name, LeafModule.forRoot(MAIN_OPTIONS));
    await expectOrderServes();
  });

  afterAll(async () => {
    await main?.close();
    await db?.close();
  });

  describe('biz tags', () => {
    for (const [name, tag, expected] of TAG_CASES) {
      for (const method of ['nextId', 'nextIds'] as const) {
        it(`${method}(${name}) -> ${expected.error.name}`, async () => {
          const before = await otherRows();
          const call =
            method === 'nextId' ? () => main.ids.nextId(tag as string) : () => main.ids.nextIds(tag as string, 2);
          expectError(await rejection(call), expected);
          expect(await otherRows()).toEqual(before); // nothing reserved, no row touched, no table dropped
          await expectOrderServes();
        });
      }
    }

    it('serves a non-ASCII tag that has a row, round trip through utf8mb4', async () => {
      const ids = [await main.ids.nextId('订单'), ...(await main.ids.nextIds('订单', 12))];
      expect(ids).toEqual(Array.from({ length: 13 }, (_, i) => BigInt(i + 1)));
      record('订单', ids);
      const [row] = await db.query<Array<{ hex: string }>>(
        "SELECT HEX(biz_tag) AS hex FROM leaf_alloc WHERE biz_tag = '订单'",
      );
      expect(row.hex).toBe(Buffer.from('订单').toString('hex').toUpperCase());
      expect(await db.maxId('订单')).toBeGreaterThan(13n);
      expect(main.ids.inspect().map((state) => state.tag)).toContain('订单');
      await expectOrderServes();
    });

    it('serves an unknown non-ASCII tag once the row its error message suggests is inserted', async () => {
      const error = await rejection(() => main.ids.nextId('заказ'));
      expectError(error, unknownTag('заказ'));
      const insert = /\((INSERT INTO leaf_alloc .*?\))\)/.exec((error as Error).message)![1];
      await db.query(insert, ['заказ']);
      const first = await main.ids.nextId('заказ');
      expect(first).toBe(1n);
      record('заказ', [first]);
      await expectOrderServes();
    });
  });

  describe('counts of nextIds', () => {
    for (const [name, count, expected] of COUNT_CASES) {
      it(`nextIds('order', ${name}) -> InvalidArgumentError naming maxBatchSize`, async () => {
        expectError(await rejection(() => main.ids.nextIds('order', count as number)), expected);
        await expectOrderServes(); // the next ID follows the last one: the bad call consumed nothing
      });
    }

    it('checks the count before the tag', async () => {
      expectError(await rejection(() => main.ids.nextIds('no_such_tag', 0)), badCount('0'));
      expectError(await rejection(() => main.ids.nextIds('', -1)), badCount('-1'));
      await expectOrderServes();
    });
  });

  describe('module options', () => {
    for (const [name, options, option, says] of OPTION_CASES) {
      it(`forRoot(${name}) throws InvalidLeafOptionsError at the call site`, async () => {
        let thrown: unknown;
        const started = performance.now();
        try {
          LeafModule.forRoot(options as LeafModuleOptions);
        } catch (error) {
          thrown = error;
        }
        expect(performance.now() - started).toBeLessThan(PROMPT_MS);
        expectError(thrown, {
          error: InvalidLeafOptionsError,
          says: [`Invalid LeafModule option "${option}": `, says],
          props: { option, code: 'LEAF_INVALID_OPTIONS' },
        });
      });

      it(`forRootAsync(${name}) fails the boot with InvalidLeafOptionsError, writing nothing`, async () => {
        const before = await db.query<unknown[]>('SELECT biz_tag FROM leaf_alloc ORDER BY biz_tag');
        const failure = await bootFailure(
          LeafModule.forRootAsync({ useFactory: async () => options as LeafModuleOptions }),
          mysqlDataSourceOptions(db.name),
        );
        expectError(failure.error, {
          error: InvalidLeafOptionsError,
          says: [`Invalid LeafModule option "${option}": `, says],
          props: { option, code: 'LEAF_INVALID_OPTIONS' },
        });
        // The options fail while Nest wires the modules; the host's DataSource, wired in parallel by
        // TypeOrmModule, may have connected (Nest does not close it after a failed compile, boot() does).
        expect(failure.inCompile).toBe(true);
        expect(await db.query<unknown[]>('SELECT biz_tag FROM leaf_alloc ORDER BY biz_tag')).toEqual(before);
        await expectOrderServes();
      });
    }

    it("boots the README's forRootAsync example with every value a string from the environment", async () => {
      const env = { LEAF_STEP: '7', LEAF_THRESHOLD: '0.5', LEAF_DYNAMIC_STEP: 'false', LEAF_TAG_STEP: '3' };
      Object.assign(process.env, env);
      let app: LeafApp | undefined;
      try {
        app = await startApp(
          db.name,
          LeafModule.forRootAsync({
            imports: [ConfigModule.forRoot({ ignoreEnvFile: true })],
            inject: [ConfigService],
            useFactory: (config: ConfigService) => ({
              bizTags: ['env_tag', { tag: 'env_tag_own', step: config.get('LEAF_TAG_STEP') }],
              step: config.get('LEAF_STEP', 1000),
              threshold: config.get('LEAF_THRESHOLD'),
              dynamicStep: config.get('LEAF_DYNAMIC_STEP'),
            }),
          }),
        );
        const rows = await db.query<Array<{ biz_tag: string; step: number }>>(
          "SELECT biz_tag, step FROM leaf_alloc WHERE biz_tag LIKE 'env\\_tag%' ORDER BY biz_tag",
        );
        expect(rows.map((row) => [row.biz_tag, row.step])).toEqual([
          ['env_tag', 7],
          ['env_tag_own', 3],
        ]);
        const ids = await app.ids.nextIds('env_tag', 8);
        expect(ids).toEqual(Array.from({ length: 8 }, (_, i) => BigInt(i + 1)));
        record('env_tag', ids);
        await expectOrderServes();
      } finally {
        await app?.close();
        for (const key of Object.keys(env)) delete process.env[key];
      }
    });
  });

  describe('rows the library cannot serve', () => {
    const badStep = (tag: string, step: number): Expected => ({
      error: LeafStoreError,
      says: [
        `leaf_alloc row "${tag}" has step ${step}; a step must be a positive integer.`,
        `Fix it with: UPDATE leaf_alloc SET step = 1000 WHERE biz_tag = '${tag.replaceAll("'", "''")}'.`,
      ],
      props: { code: 'LEAF_STORE' },
    });
    const overflow = (tag: string, maxId: bigint, step: number): Expected => ({
      error: IdOverflowError,
      says: [`Biz tag "${tag}" is exhausted: max_id ${maxId} + step ${step} would pass 2^63-1.`, 'Start a new biz tag'],
      props: { bizTag: tag, maxId, step, code: 'LEAF_ID_OVERFLOW' },
    });

    const LAZY_CASES: ReadonlyArray<readonly [name: string, tag: string, expected: Expected]> = [
      ['a lazily discovered row with step 0', 'lazy_step_zero', badStep('lazy_step_zero', 0)],
      ['a lazily discovered row with step -3', 'lazy_step_negative', badStep('lazy_step_negative', -3)],
      ["a lazily discovered row o'brien with step 0", "o'brien", badStep("o'brien", 0)],
      ['a lazily discovered row at 2^63-1 with step 10', 'edge_lazy', overflow('edge_lazy', MAX_ID, 10)],
    ];
    for (const [name, tag, expected] of LAZY_CASES) {
      for (const method of ['nextId', 'nextIds'] as const) {
        it(`${method} on ${name} -> ${expected.error.name}, other tags keep serving`, async () => {
          const before = await otherRows();
          const call = method === 'nextId' ? () => main.ids.nextId(tag) : () => main.ids.nextIds(tag, 2);
          expectError(await rejection(call), expected);
          expect(await otherRows()).toEqual(before);
          await expectOrderServes();
        });
      }
    }

    it.each(['lazy_step_zero', "o'brien"])(
      'serves the step-0 row %s once it is fixed with the SQL its error message gives',
      async (tag) => {
        const error = await rejection(() => main.ids.nextId(tag));
        const fix = /Fix it with: (UPDATE .*)\.$/.exec((error as Error).message)![1];
        await db.query(fix);
        const ids = await main.ids.nextIds(tag, 3);
        expect(ids).toEqual([1n, 2n, 3n]);
        record(tag, ids);
        await expectOrderServes();
      },
    );

    it('serves the last segment below 2^63-1 in full, then IdOverflowError, leaving max_id at 2^63-1', async () => {
      const ids = await main.ids.nextIds('edge_exact', 10);
      expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => MAX_ID - 10n + BigInt(i)));
      record('edge_exact', ids);
      for (let attempt = 0; attempt < 3; attempt++) {
        expectError(await rejection(() => main.ids.nextId('edge_exact')), overflow('edge_exact', MAX_ID, 10));
      }
      expectError(await rejection(() => main.ids.nextIds('edge_exact', 1)), overflow('edge_exact', MAX_ID, 10));
      expect(await db.maxId('edge_exact')).toBe(MAX_ID);
      await expectOrderServes();
    });

    it('serves a row deleted at runtime from memory, then UnknownBizTagError; a restored row serves again', async () => {
      const served = [await main.ids.nextId('gone')];
      const [deleted] = await db.query<Array<{ max_id: string }>>(
        "DELETE FROM leaf_alloc WHERE biz_tag = 'gone' RETURNING CAST(max_id AS CHAR) AS max_id",
      );
      const maxIdAtDelete = BigInt(deleted.max_id);
      let error: unknown;
      for (let i = 0; i < 50 && error === undefined; i++) {
        const outcome = await settle(main.ids.nextId('gone'), PROMPT_MS);
        if ('hung' in outcome) throw new Error('nextId hangs on a deleted row');
        expect(outcome.ms).toBeLessThan(PROMPT_MS);
        if ('value' in outcome) served.push(outcome.value);
        else error = outcome.error;
      }
      const deletedRow: Expected = {
        error: UnknownBizTagError,
        says: ['The leaf_alloc row of "gone" was deleted while it was being served', 'max_id at least'],
        props: { bizTag: 'gone', code: 'LEAF_UNKNOWN_BIZ_TAG' },
      };
      expectError(error, deletedRow);
      // The max_id the message asks for lies above everything served: following it repeats no ID.
      const asked = BigInt(/max_id at least (\d+)/.exec((error as Error).message)![1]);
      expect(asked).toBeGreaterThanOrEqual(maxIdAtDelete);
      // Only what was in memory: at most the current and a standby segment of 10.
      expect(served.length).toBeGreaterThanOrEqual(1);
      expect(served.length).toBeLessThanOrEqual(20);
      expectStrictlyIncreasing(served);
      expect(served.every((id) => id < maxIdAtDelete)).toBe(true);
      // Asking again stays prompt and typed (no stuck waiters).
      expectError(await rejection(() => main.ids.nextId('gone')), deletedRow);
      expectError(await rejection(() => main.ids.nextIds('gone', 5)), deletedRow);
      await expectOrderServes();

      // An operator restores the row where it was: the tag serves again, above everything served before.
      await db.query('INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES (?, CAST(? AS SIGNED), 10)', [
        'gone',
        maxIdAtDelete.toString(),
      ]);
      let again: bigint | undefined;
      for (let i = 0; i < 40 && again === undefined; i++) {
        const outcome = await settle(main.ids.nextId('gone'), PROMPT_MS);
        if ('value' in outcome) again = outcome.value;
        else if ('hung' in outcome) throw new Error('nextId hangs on a restored row');
        else {
          expect(outcome.error).toBeInstanceOf(UnknownBizTagError); // until the retry delay (100 ms) passes
          await sleep(25);
        }
      }
      expect(again).toBe(maxIdAtDelete);
      served.push(again!);
      record('gone', served);
      await expectOrderServes();
    });

    const BOOT_CASES: ReadonlyArray<readonly [name: string, options: LeafModuleOptions, expected: Expected]> = [
      ['a configured tag whose row has step 0', { bizTags: ['cfg_step_zero'], step: 10 }, badStep('cfg_step_zero', 0)],
      [
        'a configured tag whose row has step -3',
        { bizTags: ['cfg_step_negative'], step: 10 },
        badStep('cfg_step_negative', -3),
      ],
      [
        'a configured tag whose row is at 2^63-1 with step 10',
        { bizTags: ['cfg_edge'] },
        overflow('cfg_edge', MAX_ID, 10),
      ],
      [
        "two configured spellings of one row, 'alias_a' and 'ALIAS_A'",
        { bizTags: ['alias_a', 'ALIAS_A'] },
        {
          error: LeafStoreError,
          says: collationSays('ALIAS_A', 'alias_a'),
          props: { code: 'LEAF_STORE' },
        },
      ],
      [
        'a configured tag with no row and createMissingTags off',
        { bizTags: ['cfg_missing'], createMissingTags: false },
        {
          error: LeafStoreError,
          says: [
            'leaf_alloc has no row for "cfg_missing" and createMissingTags is off',
            'Insert the rows, or turn createMissingTags on',
          ],
          props: { code: 'LEAF_STORE' },
        },
      ],
    ];
    for (const [name, options, expected] of BOOT_CASES) {
      it(`boot with ${name} fails with ${expected.error.name}, leaving nothing open`, async () => {
        const before = await otherRows();
        const failure = await bootFailure(LeafModule.forRoot(options), mysqlDataSourceOptions(db.name));
        expectError(failure.error, expected);
        expect(failure.inCompile).toBe(false);
        expect(failure.leftOpen).toBe(0);
        expect(await otherRows()).toEqual(before);
        await expectOrderServes();
      });
    }
  });

  describe('LeafAdmin', () => {
    const admin = () => main.app.get(LeafAdmin);
    const invalid = (argument: string, ...says: string[]): Expected => ({
      error: InvalidArgumentError,
      says,
      props: { argument, code: 'LEAF_INVALID_ARGUMENT' },
    });
    /** createTag of a spelling whose INSERT met another tag's row: said as nextId says it, nothing inserted. */
    const otherSpelling = (tag: string, row = 'order'): Expected => ({
      error: BizTagExistsError,
      says: [`Cannot create biz tag "${tag}"; nothing was changed. `, ...collationSays(tag, row)],
      props: { bizTag: tag, existing: row, code: 'LEAF_BIZ_TAG_EXISTS' },
    });
    const ADMIN_CASES: ReadonlyArray<readonly [name: string, call: () => Promise<unknown>, expected: Expected]> = [
      ["createTag('')", () => admin().createTag(''), invalid('bizTag', 'Invalid biz tag: ', EMPTY)],
      [
        'createTag(129 characters)',
        () => admin().createTag('x'.repeat(129)),
        invalid('bizTag', 'at most 128 characters'),
      ],
      ['createTag(null)', () => admin().createTag(null as never), invalid('bizTag', 'must be a string, got null')],
      [
        "createTag('order'), which exists",
        () => admin().createTag('order'),
        {
          error: BizTagExistsError,
          says: ['Biz tag "order" already has a row in leaf_alloc; nothing was changed.'],
          props: { bizTag: 'order', existing: 'order', code: 'LEAF_BIZ_TAG_EXISTS' },
        },
      ],
      [
        "createTag('ORDER'), which the collation matches to 'order'",
        () => admin().createTag('ORDER'),
        otherSpelling('ORDER'),
      ],
      ["createTag('Order')", () => admin().createTag('Order', { step: 5, description: 'd' }), otherSpelling('Order')],
      ["createTag('order ') (the collation pads spaces)", () => admin().createTag('order '), otherSpelling('order ')],
      ["createTag('ördér') (the collation ignores accents)", () => admin().createTag('ördér'), otherSpelling('ördér')],
      [
        "createTag('ALIAS_A'), a lazily served row's other spelling",
        () => admin().createTag('ALIAS_A'),
        otherSpelling('ALIAS_A', 'alias_a'),
      ],
      ["setStep('ORDER', 10)", () => admin().setStep('ORDER', 10), aliasOf('ORDER', 'order')],
      [
        "createTag('a\\nb')",
        () => admin().createTag('a\nb'),
        invalid('bizTag', CONTROL, '"a\\nb" has \\n (U+000A) at character 2'),
      ],
      ["createTag('order\\0')", () => admin().createTag('order\0'), invalid('bizTag', CONTROL, 'has \\u0000 (U+0000)')],
      [
        "createTag('x\\u0085')",
        () => admin().createTag('x\u0085'),
        invalid('bizTag', CONTROL, '"x\\u0085" has \\u0085'),
      ],
      [
        "createTag('order\\u200b')",
        () => admin().createTag('order\u200b'),
        invalid('bizTag', INVISIBLE, 'has \\u200b (U+200B)'),
      ],
      ["createTag('\\ud800')", () => admin().createTag('\ud800'), invalid('bizTag', SURROGATE, '"\\ud800"')],
      [
        "setStep('order\\n', 10)",
        () => admin().setStep('order\n', 10),
        invalid('bizTag', CONTROL, '"order\\n" has \\n'),
      ],
      [
        'createTag with step 0',
        () => admin().createTag('admin_new', { step: 0 }),
        invalid('step', 'from 1 to 1000000 (maxStep), got 0'),
      ],
      ['createTag with step 1.5', () => admin().createTag('admin_new', { step: 1.5 }), invalid('step', 'got 1.5')],
      [
        'createTag with startAt 0n',
        () => admin().createTag('admin_new', { startAt: 0n }),
        invalid('startAt', 'startAt must be a bigint from 1 to'),
      ],
      [
        'createTag with startAt 2^63-1',
        () => admin().createTag('admin_new', { startAt: MAX_ID }),
        invalid('startAt', 'must be a bigint'),
      ],
      [
        'createTag with startAt a number',
        () => admin().createTag('admin_new', { startAt: 5 as never }),
        invalid('startAt', 'must be a bigint'),
      ],
      [
        'createTag with a 257-character description',
        () => admin().createTag('admin_new', { description: 'd'.repeat(257) }),
        invalid('description', 'at most 256 characters'),
      ],
      ["setStep('no_such_tag', 10)", () => admin().setStep('no_such_tag', 10), unknownTag('no_such_tag')],
      ["setStep('order', 0)", () => admin().setStep('order', 0), invalid('step', 'got 0')],
      ["setStep('order', NaN)", () => admin().setStep('order', NaN), invalid('step', 'got NaN')],
      ["setStep(' ', 10)", () => admin().setStep(' ', 10), invalid('bizTag', EMPTY)],
    ];
    for (const [name, call, expected] of ADMIN_CASES) {
      it(`${name} -> ${expected.error.name}, changing nothing`, async () => {
        const before = await db.query<unknown[]>('SELECT biz_tag, step FROM leaf_alloc ORDER BY biz_tag');
        const others = await otherRows();
        expectError(await rejection(call), expected);
        expect(await db.query<unknown[]>('SELECT biz_tag, step FROM leaf_alloc ORDER BY biz_tag')).toEqual(before);
        expect(await otherRows()).toEqual(others);
        await expectOrderServes();
      });
    }

    it.each(['ORDER', 'order ', 'ördér'])(
      'createTag(%j) explains the collation in the words nextId uses',
      async (tag) => {
        const refused = (await rejection(() => admin().createTag(tag))) as Error;
        const unknown = (await rejection(() => main.ids.nextId(tag))) as Error;
        const shared = (message: string) => message.slice(message.indexOf(`"${tag}" has no leaf_alloc row of its own`));
        expect(shared(refused.message)).toBe(shared(unknown.message));
        expect(shared(refused.message)).toMatch(
          /^".+" has no leaf_alloc row of its own: .+COLLATE utf8mb4_bin NOT NULL\.$/,
        );
        await expectOrderServes();
      },
    );
  });

  describe('the table and the connection', () => {
    let tables: TestDatabase;
    let second: LeafApp | undefined;
    const missingTable: Expected = {
      error: LeafStoreError,
      says: ['Table leaf_alloc does not exist', 'LeafAllocMigration', "Leaf's SQL script"],
      props: { code: 'LEAF_STORE' },
    };

    beforeAll(async () => {
      tables = await freshDatabase('bad_input_tables', { withTable: false });
    });
    afterAll(async () => {
      await second?.close();
      await tables?.close();
    });

    it('boot without leaf_alloc fails with LeafStoreError telling how to create it; creating it fixes the boot', async () => {
      const options = { ...MAIN_OPTIONS, bizTags: ['order', 'other'] };
      const failure = await bootFailure(LeafModule.forRoot(options), mysqlDataSourceOptions(tables.name));
      expectError(failure.error, missingTable);
      expect(failure.leftOpen).toBe(0);
      await expectOrderServes();
      await tables.query(createTableSql('mysql'));
      second = await startApp(tables.name, LeafModule.forRoot(options));
      expect(await second.ids.nextId('other')).toBe(1n);
    });

    it('leaf_alloc dropped at runtime: memory serves, then LeafStoreError promptly; another database keeps serving', async () => {
      expect(second).toBeDefined();
      const served = [await second!.ids.nextId('other')];
      await tables.query('DROP TABLE leaf_alloc');
      let error: unknown;
      for (let i = 0; i < 50 && error === undefined; i++) {
        const outcome = await settle(second!.ids.nextId('other'), PROMPT_MS);
        if ('hung' in outcome) throw new Error('nextId hangs on a dropped table');
        expect(outcome.ms).toBeLessThan(PROMPT_MS);
        if ('value' in outcome) served.push(outcome.value);
        else error = outcome.error;
      }
      expectError(error, missingTable);
      expect(served.length).toBeLessThanOrEqual(20);
      expectUnique(served);
      expectError(await rejection(() => second!.ids.nextIds('other', 3)), missingTable);
      // A tag never seen before: its lookup meets the missing table.
      expectError(await rejection(() => second!.ids.nextId('never_seen')), missingTable);
      await expectOrderServes();
    });

    const CONNECTION_CASES: ReadonlyArray<
      readonly [name: string, dataSource: () => Promise<Record<string, unknown>>, code: RegExp, says: RegExp]
    > = [
      [
        'a wrong password',
        async () => ({ ...mysqlDataSourceOptions(db.name), password: 'not-the-password' }),
        /^ER_ACCESS_DENIED_ERROR$/,
        /Access denied for user '\w+'@'[^']+' \(using password: YES\)/,
      ],
      [
        'an unknown user',
        async () => ({ ...mysqlDataSourceOptions(db.name), username: 'leaf_no_such_user' }),
        /^ER_ACCESS_DENIED_(NO_PASSWORD_)?ERROR$/,
        /Access denied for user 'leaf_no_such_user'/,
      ],
      [
        'an unknown database',
        async () => mysqlDataSourceOptions('leaf_test_no_such_database'),
        /^ER_BAD_DB_ERROR$/,
        /Unknown database 'leaf_test_no_such_database'/,
      ],
      [
        'a port nothing listens on',
        async () => ({ ...mysqlDataSourceOptions(db.name), port: await freePort() }),
        /^ECONNREFUSED$/,
        /ECONNREFUSED 127\.0\.0\.1:\d+/,
      ],
      [
        'a host name that does not resolve',
        async () => ({ ...mysqlDataSourceOptions(db.name), host: 'leaf-no-such-host.invalid' }),
        /^ENOTFOUND$/,
        /ENOTFOUND leaf-no-such-host\.invalid/,
      ],
    ];
    for (const [name, dataSource, code, says] of CONNECTION_CASES) {
      it(`boot with ${name} fails promptly with the driver's error, leaving nothing open`, async () => {
        const failure = await bootFailure(LeafModule.forRoot({ bizTags: ['order'] }), await dataSource());
        // The DataSource fails before the library runs: the driver's own error, with its code, reaches the host.
        // Node's own socket errors come from another realm than Jest's `Error`: check natively.
        expect(isNativeError(failure.error)).toBe(true);
        expect(failure.error).not.toBeInstanceOf(LeafError);
        expect((failure.error as { code?: string }).code).toMatch(code);
        expect((failure.error as Error).message).toMatch(says);
        expect(failure.leftOpen).toBe(0);
        await expectOrderServes();
      });
    }
  });

  it('issued unique, increasing IDs throughout the suite, the healthy tag included', () => {
    const order = issued.get('order') ?? [];
    expect(order.length).toBeGreaterThan(4 * 100);
    for (const [, ids] of issued) {
      expectUnique(ids);
      expectStrictlyIncreasing(ids);
    }
  });
});
