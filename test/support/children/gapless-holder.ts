/**
 * A process that takes a gapless number through the library and dies holding it (test/generator/gapless-kill):
 * it opens its own connection with the plain driver, BEGIN, takes the next code of `tag` with nextGaplessCode (through
 * the driver's GaplessExecutor), writes its row, prints `holding <code>`, and waits, never committing, until killed.
 *
 * Usage: node --import ./test/support/ts-register.mjs test/support/children/gapless-holder.ts <engine> <target> <tag>
 * (target: the SQLite file, or the connection options as JSON).
 */
import 'reflect-metadata';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { IdGenerator } from '../../../libs/leaf/src/id-generator.js';
import { resolveLeafOptions } from '../../../libs/leaf/src/leaf.options.js';
import { InMemoryLeafStore } from '../../../libs/leaf/src/testing/in-memory-leaf.store.js';
import {
  mysqlGaplessExecutor,
  pgGaplessExecutor,
  sqliteGaplessExecutor,
} from '../../../libs/leaf/src/gapless/driver-executors.js';
import type { GaplessExecutor } from '../../../libs/leaf/src/gapless/gapless-executor.js';

const [engine, target, tag] = process.argv.slice(2);
const store = new InMemoryLeafStore();
const options = resolveLeafOptions({
  bizTags: [{ tag, gapless: true, format: 'K-{seq:6}' }],
  store,
  waitTimeoutMs: 10_000,
});
const ids = new IdGenerator(options, store);

let manager: GaplessExecutor;
let insert: (code: string) => Promise<unknown>;
if (engine === 'postgres') {
  const client = new pg.Client(JSON.parse(target));
  await client.connect();
  await client.query('BEGIN');
  manager = pgGaplessExecutor(client);
  insert = (code) => client.query('INSERT INTO numbered (code) VALUES ($1)', [code]);
} else if (engine === 'mariadb') {
  const connection = await mysql.createConnection({
    ...JSON.parse(target),
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  await connection.query('BEGIN');
  manager = mysqlGaplessExecutor(connection);
  insert = (code) => connection.query('INSERT INTO numbered (code) VALUES (?)', [code]);
} else {
  const db = new Database(target);
  db.exec('BEGIN');
  manager = sqliteGaplessExecutor(db);
  insert = async (code) => db.prepare('INSERT INTO numbered (code) VALUES (?)').run(code);
}
const code = await ids.nextGaplessCode(tag, { manager });
await insert(code);
process.stdout.write(`holding ${code} ${manager.engine}\n`);
// Never commits: the parent kills the process with SIGKILL.
// The timer holds the connection too: a connection nothing references may be collected (better-sqlite3 then closes
// it, and SQLite rolls the transaction back), which Node 24 does while the process waits.
setInterval(() => void [manager, insert], 60_000);
