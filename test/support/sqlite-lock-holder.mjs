// Another process on the same SQLite file (test/sqlite-lock.e2e-spec.ts): it opens a write transaction, takes a
// segment of a tag the way a second Leaf node would, holds the lock, then commits. A separate process, because
// a lock held by a connection of the test's own process could not show that the test's event loop keeps turning.
//
// Usage: node sqlite-lock-holder.mjs <file> <tag> <step> <holdMs>
// Prints `locked <start> <end> <until>` once the lock is held ([start, end) is the range it took; until: the wall-clock
// ms it will be released at), `released` after COMMIT.
import Database from 'better-sqlite3';

const [file, tag, step, holdMs] = process.argv.slice(2);
const db = new Database(file, { timeout: 10_000 });
db.exec('BEGIN IMMEDIATE');
const { max_id: end } = db
  .prepare(
    'UPDATE leaf_alloc SET max_id = max_id + CAST(? AS INTEGER) WHERE biz_tag = ? RETURNING CAST(max_id AS TEXT) AS max_id',
  )
  .get(step, tag);
process.stdout.write(`locked ${BigInt(end) - BigInt(step)} ${end} ${Date.now() + Number(holdMs)}\n`);
setTimeout(() => {
  db.exec('COMMIT');
  db.close();
  process.stdout.write('released\n');
}, Number(holdMs));
