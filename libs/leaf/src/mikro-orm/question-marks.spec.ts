import { describe, expect, it } from '@jest/globals';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { toQuestionMarks } from './question-marks.js';

// What MikroORM 6 sends to PostgreSQL for a statement of the store: its own formatQuery inlines the values.
const platform = new PostgreSqlPlatform();
const sent = (sql: string, params: unknown[]) => platform.formatQuery(...toQuestionMarks(sql, params));

describe('toQuestionMarks (PostgreSQL statements through MikroORM)', () => {
  it('lists the parameters in the order their $n occur, one used twice listed twice', () => {
    expect(toQuestionMarks('SELECT $2, $1, $2', ['a', 'b'])).toEqual(['SELECT ?, ?, ?', ['b', 'a', 'b']]);
    expect(sent('UPDATE t SET a = $1 WHERE b = $2 AND c = $3::bigint', [5, "it's", '9223372036854775807'])).toBe(
      "UPDATE t SET a = 5 WHERE b = 'it''s' AND c = '9223372036854775807'::bigint",
    );
  });

  it('leaves $ and ? inside string literals as they are, and a ? outside one is not taken as a placeholder', () => {
    expect(sent("SELECT '$1 costs ?', $1, ? IS NULL", ['x'])).toBe("SELECT '$1 costs ?', 'x', ? IS NULL");
  });

  it('sends an array as a PostgreSQL array literal, which = ANY($n::text[]) reads', () => {
    expect(sent('SELECT $1 = ANY($2::text[])', ['a', ['a', 'b"c', 'd\\e']])).toBe(
      `SELECT 'a' = ANY( E'{"a","b\\\\"c","d\\\\\\\\e"}'::text[])`,
    );
  });

  it('leaves a statement without parameters alone, and refuses a $n with no parameter', () => {
    expect(toQuestionMarks('SELECT 1', [])).toEqual(['SELECT 1', []]);
    expect(() => toQuestionMarks('SELECT $2', ['a'])).toThrow(RangeError);
  });
});
