import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mysql from 'mysql2/promise';
import { FaultProxy } from './fault-proxy.js';
import { MYSQL } from './mariadb.js';

/** The proxy the fault tests rely on, checked against the real server so a broken proxy cannot pass for a robust library. */
describe('FaultProxy in front of MariaDB', () => {
  let proxy: FaultProxy;

  beforeAll(async () => {
    proxy = await FaultProxy.start({ target: MYSQL });
  });
  afterAll(async () => {
    await proxy.close();
  });

  const connect = () => mysql.createConnection({ ...MYSQL, host: proxy.host, port: proxy.port, connectTimeout: 2_000 });

  it('passes queries through, and adds its latency in each direction', async () => {
    const connection = await connect();
    try {
      await connection.query('SELECT 1');
      proxy.setLatency(30);
      const started = performance.now();
      const [rows] = await connection.query('SELECT 1 + 1 AS two');
      const elapsed = performance.now() - started;
      expect(rows).toEqual([{ two: 2 }]);
      expect(elapsed).toBeGreaterThanOrEqual(59);
    } finally {
      proxy.setLatency(0);
      await connection.end();
    }
  });

  it('cut drops open connections and refuses new ones until restored', async () => {
    const connection = await connect();
    connection.on('error', () => undefined);
    proxy.cut();
    await expect(connection.query('SELECT 1')).rejects.toThrow();
    await expect(connect()).rejects.toThrow();
    expect(proxy.stats.refused).toBeGreaterThan(0);
    proxy.restore();
    const again = await connect();
    await again.query('SELECT 1');
    await again.end();
  });

  it('stall holds bytes without closing, and delivers them when restored', async () => {
    const connection = await connect();
    try {
      proxy.stall();
      let answered = false;
      const query = connection.query('SELECT 42 AS answer').then(([rows]) => {
        answered = true;
        return rows;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered).toBe(false);
      expect(proxy.stats.open).toBeGreaterThan(0);
      proxy.restore();
      await expect(query).resolves.toEqual([{ answer: 42 }]);
    } finally {
      proxy.restore();
      await connection.end();
    }
  });
});
