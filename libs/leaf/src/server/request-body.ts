import { describeValue } from '../errors/describe-value.js';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { bizTagProblem, descriptionProblem } from '../leaf.options-validation.js';
import { MAX_ID, type NewLeafAllocRow, type NewTagRow } from '../store/leaf-store.js';
import { LeafServerHttpError } from './server-errors.js';

/** `leaf_alloc.step` is a signed int. */
const MAX_ROW_STEP = 2_147_483_647;
/** Rows one createTags request may carry: a boot creates its configured tags in one call. */
const MAX_ROWS = 10_000;
const DECIMAL = /^(0|[1-9]\d{0,18})$/;
const COUNT = /^[1-9]\d{0,9}$/;

/**
 * Reading what a request sends, strictly: a wrong value is a 400 that says what was expected, never a guess. IDs
 * travel as decimal strings (JSON numbers lose precision past 2^53), steps and counts as JSON numbers.
 */

/** The route's tag, checked as the generator checks tags (length, control and invisible characters). */
export function bizTagOf(key: string): string {
  const problem = bizTagProblem(key);
  if (problem !== undefined) throw new InvalidArgumentError('bizTag', `Invalid biz tag: ${problem}.`);
  return key;
}

/**
 * The JSON body as an object. With `contentType` (the request's header), a body sent as anything but JSON is refused
 * naming what it was sent as: a form body parses into an object too, whose fields would all read as missing.
 */
export function bodyOf(body: unknown, expected: string, contentType?: string | null): Record<string, unknown> {
  if (contentType !== undefined && !isJson(contentType)) {
    throw LeafServerHttpError.badRequest(
      `Expected a JSON body ${expected} sent with Content-Type: application/json; this request was sent ` +
        `${contentType === null || contentType === '' ? 'with no Content-Type' : `as ${describeValue(contentType)}`}.`,
    );
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw LeafServerHttpError.badRequest(
      `Expected a JSON body ${expected} (Content-Type: application/json), got ${describeValue(body)}.`,
    );
  }
  return body as Record<string, unknown>;
}

/** `application/json`, or a JSON media type such as `application/merge-patch+json`; parameters ignored. */
function isJson(contentType: string | null): boolean {
  const type = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

/** `?count=N` of Leaf's GET route: decimal digits, 1 to `maxBatchSize`. */
export function countOf(value: unknown, maxBatchSize: number): number {
  const count = typeof value === 'string' && COUNT.test(value) ? Number(value) : NaN;
  if (!(count >= 1 && count <= maxBatchSize)) {
    throw new InvalidArgumentError(
      'count',
      `count must be an integer from 1 to ${maxBatchSize} (maxBatchSize), got ${describeValue(value)}.`,
    );
  }
  return count;
}

/** A step: a JSON integer from 1 to `max`. */
export function stepOf(value: unknown, max: number, maxName: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(
      'step',
      `step must be an integer from 1 to ${max}${maxName}, got ${describeValue(value)}.`,
    );
  }
  return value;
}

/** A row's base step, as `leaf_alloc.step` holds it. */
export function rowStepOf(value: unknown): number {
  return stepOf(value, MAX_ROW_STEP, ' (leaf_alloc.step is an int)');
}

/** An ID or `max_id`: a decimal string from 0 to 2^63-1. */
export function idOf(value: unknown, name: string): bigint {
  const id = typeof value === 'string' && DECIMAL.test(value) ? BigInt(value) : -1n;
  if (id < 0n || id > MAX_ID) {
    throw LeafServerHttpError.badRequest(
      `${name} must be a decimal string from 0 to ${MAX_ID}, got ${describeValue(value)}.`,
    );
  }
  return id;
}

function descriptionOf(value: unknown, where: string): string | null {
  if (value === undefined || value === null) return null;
  const problem = typeof value === 'string' ? descriptionProblem(value) : 'must be a string or null';
  if (problem !== undefined) throw new InvalidArgumentError('description', `${where}.description ${problem}.`);
  return value as string;
}

/** The body of `insertTag`: `{ maxId, step, description? }`. */
export function newRowOf(bizTag: string, body: unknown, contentType: string | null): NewLeafAllocRow {
  const expected = '{ "maxId": "<decimal>", "step": N, "description"?: "…" }';
  const { maxId, step, description } = bodyOf(body, expected, contentType);
  return {
    bizTag,
    maxId: idOf(maxId, 'maxId'),
    step: rowStepOf(step),
    description: descriptionOf(description, 'body'),
  };
}

/** The body of `createTags`: `{ rows: [{ tag, step, description? }] }`, as the rows a store creates. */
export function createRowsOf(body: unknown, contentType: string | null): NewTagRow[] {
  const { rows } = bodyOf(body, '{ "rows": [{ "tag": "…", "step": N, "description"?: "…" }] }', contentType);
  if (!Array.isArray(rows) || rows.length === 0 || rows.length > MAX_ROWS) {
    throw LeafServerHttpError.badRequest(`rows must be an array of 1 to ${MAX_ROWS} rows, got ${describeValue(rows)}.`);
  }
  return rows.map((entry: unknown, index): NewTagRow => {
    const where = `rows[${index}]`;
    const { tag, step, description } = bodyOf(entry, `${where}: { "tag", "step", "description"? }`);
    const problem = bizTagProblem(tag);
    if (problem !== undefined) throw new InvalidArgumentError('bizTag', `${where}.tag: ${problem}.`);
    return {
      tag: tag as string,
      step: rowStepOf(step),
      description: descriptionOf(description, where),
    };
  });
}
