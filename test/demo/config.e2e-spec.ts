import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApp } from '../../apps/demo/src/app.factory.js';
import { InvalidEnvironmentError } from '../../apps/demo/src/config/environment.validation.js';
import { startDemo } from './support/demo-app.js';
import { tempSqlite } from './support/sqlite.js';

describe('demo configuration at startup', () => {
  const file = tempSqlite('config');

  afterAll(() => file.remove());

  it('refuses to start on a bad variable, naming it', async () => {
    const attempt = createApp({
      env: { DB_TYPE: 'sqlite', SQLITE_PATH: file.path, LEAF_THRESHOLD: '0' },
      logger: false,
    });
    await expect(attempt).rejects.toThrow(InvalidEnvironmentError);
    await expect(attempt).rejects.toThrow('LEAF_THRESHOLD must be a number greater than 0 and at most 1, got "0".');
    expect(existsSync(file.path)).toBe(false);
  });

  it('creates the SQLite folder, runs the migrations and uses LEAF_STEP / LEAF_THRESHOLD', async () => {
    const demo = await startDemo({
      DB_TYPE: 'sqlite',
      SQLITE_PATH: file.path,
      LEAF_STEP: '250',
      LEAF_THRESHOLD: '0.5',
    });
    try {
      expect(existsSync(file.path)).toBe(true);
      const taken = await request(demo.url).get('/ids/order?count=3').expect(200);
      expect(taken.body.ids).toEqual(['1', '2', '3']);
      const state = await request(demo.url).get('/monitor/state').expect(200);
      expect(state.body.threshold).toBe(0.5);
      for (const tag of state.body.tags) {
        expect(tag).toEqual(expect.objectContaining({ baseStep: 250, step: 250, current: { start: '1', end: '251' } }));
      }
    } finally {
      await demo.close();
    }
    const tables = file.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['leaf_alloc', 'migrations', 'orders', 'users']));
    const migrations = file.exec<{ name: string }>('SELECT name FROM migrations ORDER BY id');
    expect(migrations.map((m) => m.name)).toEqual([
      'LeafAllocMigration1732147200000',
      'DemoTablesMigration1732233600000',
    ]);
    const rows = file.exec<{ biz_tag: string; step: bigint; description: string }>(
      'SELECT biz_tag, step, description FROM leaf_alloc ORDER BY biz_tag',
    );
    expect(rows).toEqual([
      { biz_tag: 'order', step: 250n, description: 'IDs of orders (nest-leaf demo)' },
      { biz_tag: 'user', step: 250n, description: 'IDs of users (nest-leaf demo)' },
    ]);
  });

  it('starts again on the same file, continuing after the IDs handed out before', async () => {
    const demo = await startDemo({ DB_TYPE: 'sqlite', SQLITE_PATH: file.path, LEAF_STEP: '250' });
    try {
      const res = await request(demo.url).get('/ids/order').expect(200);
      expect(BigInt(res.body.id)).toBeGreaterThan(3n);
    } finally {
      await demo.close();
    }
  });
});
