import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import request from 'supertest';
import { InvalidLeafOptionsError, LeafStoreError, OpaqueIdCodec } from 'nest-leaf';
import { HttpLeafStore } from 'nest-leaf/http';
import { createApp } from '../../apps/demo/src/app.factory.js';
import { DEMO_DEFAULTS } from '../../apps/demo/src/config/demo.config.js';
import { InvalidEnvironmentError } from '../../apps/demo/src/config/environment.validation.js';
import { startDemo } from '../support/demo/demo-app.js';
import { tempSqlite } from '../support/demo/sqlite.js';

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
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['leaf_alloc', 'leaf_gapless', 'migrations', 'orders', 'users', 'invoices']),
    );
    const migrations = file.exec<{ name: string }>('SELECT name FROM migrations ORDER BY id');
    expect(migrations.map((m) => m.name)).toEqual([
      'LeafAllocMigration1732147200000',
      'DemoTablesMigration1732233600000',
      'DemoInvoicesMigration1764547200000',
      // The counters of the gapless French invoices (invoice-fr).
      'LeafGaplessMigration1796601600000',
    ]);
    const rows = file.exec<{ biz_tag: string; step: bigint; description: string }>(
      'SELECT biz_tag, step, description FROM leaf_alloc ORDER BY biz_tag',
    );
    // The period tag `invoice` has no row of its own: one per day, the first made by its startup reservation.
    expect(rows).toEqual([
      {
        biz_tag: expect.stringMatching(/^invoice:\d{8}$/),
        step: 250n,
        description: 'Invoice numbers of one day (nest-leaf demo)',
      },
      { biz_tag: 'invoice_id', step: 250n, description: 'IDs of invoices (nest-leaf demo)' },
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

  it('numbers invoices by the day in LEAF_TIME_ZONE', async () => {
    // UTC+14: its date is not UTC's for 14 hours of every day.
    const timeZone = 'Pacific/Kiritimati';
    const today = () => new Intl.DateTimeFormat('en-CA', { timeZone }).format(Date.now()).replaceAll('-', '');
    const demo = await startDemo({ DB_TYPE: 'sqlite', SQLITE_PATH: file.path, LEAF_TIME_ZONE: timeZone });
    try {
      const http = request(demo.url);
      const before = today();
      const order = await http.post('/orders').send({ customer: 'Kiribati', amountCents: 1, currency: 'AUD' });
      const invoice = await http.post('/invoices').send({ orderId: order.body.id }).expect(201);
      expect([`INV-${before}-000001`, `INV-${today()}-000001`]).toContain(invoice.body.number);
      expect((await http.get('/monitor/state').expect(200)).body.timeZone).toBe(timeZone);
    } finally {
      await demo.close();
    }
  });

  it("refuses to start on a LEAF_TIME_ZONE the runtime does not know, with the library's message", async () => {
    const attempt = createApp({
      env: { DB_TYPE: 'sqlite', SQLITE_PATH: file.path, LEAF_TIME_ZONE: 'Mars/Olympus_Mons' },
      logger: false,
    });
    await expect(attempt).rejects.toThrow(InvalidLeafOptionsError);
    await expect(attempt).rejects.toThrow(/timeZone.*"Mars\/Olympus_Mons", which this runtime does not know/);
  });

  it('serves segments to an HttpLeafStore that has LEAF_SERVER_TOKEN, and to no other', async () => {
    const token = 'services-token-0123456789abcdef';
    const demo = await startDemo({ DB_TYPE: 'sqlite', SQLITE_PATH: file.path, LEAF_SERVER_TOKEN: token });
    try {
      const store = new HttpLeafStore({ baseUrl: demo.url, token });
      expect((await store.listTags()).map((row) => row.bizTag)).toEqual(expect.arrayContaining(['order', 'user']));
      const range = await store.reserve('user', 10);
      expect(range.end - range.start).toBe(10n);
      // The demo's own generator never hands out what the client reserved.
      const id = BigInt((await request(demo.url).get('/ids/user').expect(200)).body.id);
      expect(id < range.start || id >= range.end).toBe(true);
      const stranger = new HttpLeafStore({ baseUrl: demo.url, token: 'not-the-token-0123456789' });
      await expect(stranger.listTags()).rejects.toThrow(LeafStoreError);
    } finally {
      await demo.close();
    }
  });

  it('makes public order IDs with ORDER_URL_SECRET, and warns in production when it is unset', async () => {
    const secret = 'c2VjcmV0LW9mLXRoaXMtdGVzdC1vbmx5';
    const warnings: string[] = [];
    const logger: LoggerService = {
      log: () => {},
      error: () => {},
      warn: (message: unknown) => void warnings.push(String(message)),
    };
    const publicIdOf = async (env: Record<string, string>) => {
      const demo = await startDemo({ DB_TYPE: 'sqlite', SQLITE_PATH: file.path, ...env }, { logger });
      try {
        const created = await request(demo.url)
          .post('/orders')
          .send({ customer: 'Secretive', amountCents: 1, currency: 'EUR' })
          .expect(201);
        return { id: BigInt(created.body.id), publicId: created.body.publicId as string };
      } finally {
        await demo.close();
      }
    };

    const own = await publicIdOf({ NODE_ENV: 'production', ORDER_URL_SECRET: secret });
    expect(own.publicId).toBe(new OpaqueIdCodec(secret).encode(own.id));
    expect(warnings.filter((w) => w.includes('ORDER_URL_SECRET'))).toEqual([]);

    const development = await publicIdOf({ NODE_ENV: 'development' });
    expect(development.publicId).toBe(new OpaqueIdCodec(DEMO_DEFAULTS.ORDER_URL_SECRET).encode(development.id));
    expect(warnings.filter((w) => w.includes('ORDER_URL_SECRET'))).toEqual([]);

    await publicIdOf({ NODE_ENV: 'production' });
    expect(warnings.filter((w) => w.includes('ORDER_URL_SECRET'))).toEqual([
      expect.stringContaining('ORDER_URL_SECRET is not set: the public order IDs are made with the development secret'),
    ]);
  });
});
