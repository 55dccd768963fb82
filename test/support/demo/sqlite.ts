import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

/** A SQLite file in a temporary folder; its parent folders are created by the demo, or by the first `exec`. */
export interface TempSqlite {
  readonly path: string;
  /** Runs SQL on the file (for setting up rows before boot, and checking them after). */
  exec<T = unknown>(sql: string, params?: unknown[]): T[];
  remove(): void;
}

export function tempSqlite(suite: string): TempSqlite {
  const dir = mkdtempSync(join(tmpdir(), `leaf-demo-${suite}-`));
  const path = join(dir, 'nested', 'folder', 'demo.sqlite');
  return {
    path,
    exec<T>(sql: string, params: unknown[] = []) {
      mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      db.defaultSafeIntegers(true);
      try {
        const statement = db.prepare(sql);
        return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as T[];
      } finally {
        db.close();
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
