import { sqlLiteral } from '../errors/sql-literal.js';
import type { LeafStore } from './leaf-store.js';

/** The engines of the SQL stores: only their messages may tell an operator what to GRANT or run. */
const SQL_ENGINES = new Set(['mysql', 'mariadb', 'postgres', 'sqlite']);

/** Where a store keeps its rows, as messages name it: its `location`, else its engine. */
export function storeLocation(store: LeafStore): string {
  return store.location ?? `the ${store.engine} store`;
}

/** Whether the store keeps its rows in a SQL table, so that SQL is the advice that fixes it. */
export function isSqlStore(store: LeafStore): boolean {
  return SQL_ENGINES.has(store.engine);
}

/**
 * What to check when startup cannot use the store: a SQL store's user may lack `privilege` on `leaf_alloc`;
 * any other store (Redis, an ID server) is named, never "the database".
 */
export function reachAdvice(store: LeafStore, privilege: 'SELECT' | 'UPDATE'): string {
  return isSqlStore(store)
    ? `Check that the database is reachable and the user may ${privilege} leaf_alloc.`
    : `Check that ${storeLocation(store)} is up and reachable from this process.`;
}

/** How to give the row of `tag` the step `step`, in what the store understands: SQL, or `LeafAdmin.setStep`. */
export function setStepAdvice(store: LeafStore, tag: string, step: number): string {
  if (isSqlStore(store)) return `UPDATE leaf_alloc SET step = ${step} WHERE biz_tag = ${sqlLiteral(tag)}`;
  const call = `LeafAdmin.setStep(${JSON.stringify(tag)}, ${step})`;
  return store.engine === 'http' ? `${call} with the token of an admin client of the ID server` : call;
}
