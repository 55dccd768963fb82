import { describe, expect, it } from '@jest/globals';
import { GaplessBusyError } from '../errors/gapless-busy.error.js';
import { InvalidLeafOptionsError } from '../errors/invalid-leaf-options.error.js';
import { leafErrorAnswer } from '../protocol/leaf-error-answer.js';
import { resolveLeafOptions, type LeafModuleOptions } from '../leaf.options.js';
import { InMemoryLeafStore } from '../testing/in-memory-leaf.store.js';
import { createGaplessTableSql } from '../typeorm/leaf-gapless.migration.js';
import { gaplessDialect, gaplessFailure, instantOf } from './gapless-sql.js';
import { GaplessSeries } from './gapless-series.js';

const resolve = (bizTags: LeafModuleOptions['bizTags']) =>
  resolveLeafOptions({ bizTags, store: new InMemoryLeafStore() });

function refusal(bizTags: unknown[]): InvalidLeafOptionsError {
  try {
    resolve(bizTags as LeafModuleOptions['bizTags']);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidLeafOptionsError);
    return error as InvalidLeafOptionsError;
  }
  throw new Error('expected a refusal');
}

describe('gapless bizTags entries', () => {
  it('resolve beside segment tags, flags read as the other options are', () => {
    const { bizTags } = resolve([
      'order',
      { tag: 'invoice-fr', gapless: true, period: 'year', format: 'F{yyyy}-{seq:6}' },
      { tag: 'invoice-es', gapless: 'true' },
      { tag: 'credit', gapless: false },
    ]);
    expect(bizTags.map(({ tag, gapless, period }) => [tag, gapless, period])).toEqual([
      ['order', undefined, 'none'],
      ['invoice-fr', true, 'year'],
      ['invoice-es', true, 'none'],
      ['credit', undefined, 'none'],
    ]);
  });

  it('refuse the segment options, names with outer white space, a format without the period, a bad flag', () => {
    const step = refusal([{ tag: 'invoice-fr', gapless: true, step: 10 }]);
    expect(step.option).toBe('bizTags[0].step');
    expect(step.message).toContain('"invoice-fr" is gapless: its numbers are counted one at a time in leaf_gapless');
    expect(refusal([{ tag: 'a', gapless: true, threshold: 0.5 }]).option).toBe('bizTags[0].threshold');
    expect(refusal([{ tag: 'inv ', gapless: true }]).message).toContain('must not start or end with white space');
    expect(refusal([{ tag: 'inv', gapless: true, period: 'year', format: 'F-{seq}' }]).message).toContain(
      'add {yyyy} to the format',
    );
    expect(refusal([{ tag: 'inv', gapless: 'yes' }]).option).toBe('bizTags[0].gapless');
    expect(refusal([{ tag: 'inv', gaples: true }]).message).toContain('(did you mean "gapless"?)');
  });

  it('take a name as long as a biz tag, its period kept apart from it', () => {
    const tag = 'x'.repeat(128);
    expect(resolve([{ tag, gapless: true, period: 'day', format: '{yyyy}{MM}{dd}-{seq}' }]).bizTags[0].tag).toBe(tag);
  });

  it("turn the database's instant into the period of the module's zone", () => {
    const options = resolveLeafOptions({
      bizTags: [{ tag: 'fr', gapless: true, period: 'year', format: 'F{yyyy}-{seq}' }],
      store: new InMemoryLeafStore(),
      timeZone: 'Europe/Paris',
      clock: () => 0,
    });
    const series = GaplessSeries.of(options);
    const spec = series.get('fr', 'nextGapless');
    expect(series.periodOf(spec, series.dayAt(instantOf('2026-12-31 22:59:59.999')!))).toBe('2026');
    expect(series.periodOf(spec, series.dayAt(instantOf('2026-12-31 23:00:00.000000')!))).toBe('2027');
  });
});

describe('gapless SQL', () => {
  it("reads the database's clock as the engines write it", () => {
    expect(instantOf('2026-12-31 23:59:59.123456')).toBe(Date.UTC(2026, 11, 31, 23, 59, 59, 123));
    expect(instantOf('2026-01-02 03:04:05.6')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 600));
    expect(instantOf('2026-01-02 03:04:05')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(instantOf(Date.now())).toBeUndefined();
    expect(instantOf('yesterday')).toBeUndefined();
  });

  it('bounds the wait for the row on every engine, and puts PostgreSQL’s lock_timeout back', () => {
    expect(gaplessDialect('mariadb').increment('s', '2026', 1500, {}).sql).toMatch(
      /^SET STATEMENT max_statement_time=1\.500 FOR INSERT INTO leaf_gapless .* LAST_INSERT_ID\(value \+ 1\)$/,
    );
    const mysql = gaplessDialect('mysql').increment('s', '', 1500, {});
    expect([mysql.before, mysql.after]).toEqual([
      'SET @leaf_gapless_lock_wait = @@SESSION.innodb_lock_wait_timeout, SESSION innodb_lock_wait_timeout = 2',
      'SET SESSION innodb_lock_wait_timeout = @leaf_gapless_lock_wait',
    ]);
    expect(gaplessDialect('postgres').increment('s', '', 1500, { lock_timeout: '7s' }).params).toEqual([
      's',
      '',
      '1500ms',
      '7s',
    ]);
  });

  it('names what a driver error means for the caller', () => {
    const wrapped = (driverError: object) => ({ message: 'query failed', driverError });
    expect(gaplessFailure(wrapped({ code: '55P03' }))).toBe('timeout');
    expect(gaplessFailure(wrapped({ errno: 1969 }))).toBe('timeout');
    expect(gaplessFailure(wrapped({ errno: 1213 }))).toBe('conflict');
    expect(gaplessFailure({ code: '40001' })).toBe('conflict');
    expect(gaplessFailure({ code: 'SQLITE_BUSY_SNAPSHOT' })).toBe('conflict');
    expect(gaplessFailure(wrapped({ code: '42P01' }))).toBe('missing-table');
    expect(gaplessFailure(new Error('SqliteError: no such table: leaf_gapless'))).toBe('missing-table');
    expect(gaplessFailure(wrapped({ errno: 1062 }))).toBeUndefined();
  });

  it('creates its table per engine, a binary collation on MySQL', () => {
    expect(createGaplessTableSql('mariadb')).toContain('series varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
    expect(createGaplessTableSql('better-sqlite3')).toContain('PRIMARY KEY (series, period)');
    expect(() => createGaplessTableSql('oracle')).toThrow('gapless numbers run on mysql, mariadb, postgres');
  });
});

describe('GaplessBusyError over HTTP', () => {
  it('is a 503 with Retry-After, its tag and reason in the body', () => {
    const answer = leafErrorAnswer(GaplessBusyError.timedOut('invoice-fr', '2026', 3000, undefined));
    expect(answer.status).toBe(503);
    expect(answer.headers).toEqual({ 'Retry-After': '1' });
    expect(answer.body).toMatchObject({ code: 'LEAF_GAPLESS_BUSY', bizTag: 'invoice-fr', reason: 'timeout' });
  });
});
