import { describe, expect, it } from '@jest/globals';
import { readSqlDurability } from './sql-durability.js';

/** An executor that answers the two reads of the settings, as the servers do (`SHOW` rows or one SELECT row). */
function server(rows: unknown[] | Error): Parameters<typeof readSqlDurability>[0] {
  return {
    query: async () => {
      if (rows instanceof Error) throw rows;
      return { rows: rows as Array<Record<string, unknown>> };
    },
  };
}

function logger() {
  const lines: { level: 'log' | 'warn'; message: string }[] = [];
  return {
    lines,
    log: (message: string) => void lines.push({ level: 'log', message }),
    warn: (message: string) => void lines.push({ level: 'warn', message }),
    error: () => undefined,
  };
}

const variables = (pairs: Record<string, string>) =>
  Object.entries(pairs).map(([Variable_name, Value]) => ({ Variable_name, Value }));

describe('readSqlDurability: the startup line of the SQL store', () => {
  it('PostgreSQL with a synchronous standby: durable, logged', async () => {
    const out = logger();
    const read = await readSqlDurability(server([{ names: 'FIRST 1 (replica)', commit: 'on' }]), 'postgres', true, out);
    expect(read.replication).toBe('sync-standby');
    expect(out.lines).toEqual([
      {
        level: 'log',
        message: expect.stringMatching(/wait for a synchronous standby .*FIRST 1 \(replica\).*fencing on/),
      },
    ]);
  });

  it('PostgreSQL with synchronous_commit local waits for no standby, whatever the names', async () => {
    const read = await readSqlDurability(server([{ names: 'replica', commit: 'local' }]), 'postgres', true, logger());
    expect(read.replication).toBe('async');
  });

  it('MariaDB semi-sync names its timeout and wait point; MySQL 8.0.26+ names (rpl_semi_sync_source_*) too', async () => {
    for (const prefix of ['rpl_semi_sync_master', 'rpl_semi_sync_source']) {
      const settings = variables({
        [`${prefix}_enabled`]: 'ON',
        [`${prefix}_timeout`]: '10000',
        [`${prefix}_wait_point`]: 'AFTER_SYNC',
      });
      const read = await readSqlDurability(server(settings), 'mysql', true, logger());
      expect(read.replication).toBe('semi-sync');
      expect(read.message).toMatch(/wait point AFTER_SYNC\) up to rpl_semi_sync_master_timeout 10000 ms/);
    }
  });

  it('Galera: a switch between members loses nothing', async () => {
    const read = await readSqlDurability(server(variables({ wsrep_on: 'ON' })), 'mysql', true, logger());
    expect(read.replication).toBe('galera');
  });

  it('asynchronous with fencing off is a warning that says to turn fencing on', async () => {
    const out = logger();
    const read = await readSqlDurability(server(variables({ wsrep_on: 'OFF' })), 'mysql', false, out);
    expect(read.replication).toBe('async');
    expect(out.lines).toEqual([{ level: 'warn', message: expect.stringMatching(/fencing is OFF.*Turn fencing on/) }]);
  });

  it('settings that cannot be read are reported, never thrown', async () => {
    const read = await readSqlDurability(server(new Error('denied')), 'postgres', true, logger());
    expect(read).toMatchObject({ replication: 'unknown', message: expect.stringMatching(/Could not read .*denied/) });
  });
});
