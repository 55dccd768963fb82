import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BigIntType, Entity, PrimaryKey, Property, type MikroORM } from '@mikro-orm/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { leafIds } from 'nest-leaf';
import { LeafTestingModule } from 'nest-leaf/testing';
import { expectStrictlyIncreasing } from '../../harness/assertions.js';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from '../support/engines.js';

// The entity of docs/data-layers.md: the key's onCreate is a synchronous take from memory.
@Entity({ tableName: 'hooks_order' })
class Order {
  @PrimaryKey({ type: new BigIntType('bigint'), onCreate: () => leafIds.sync('order') })
  id!: bigint;

  @Property({ type: 'integer' })
  total!: number;
}

const engines: Array<[string, () => Promise<{ database: EngineDatabase; orm: MikroORM }>]> = [
  [
    'SQLite (libsql)',
    async () => {
      const database = await sqliteDatabase();
      const { MikroORM } = await import('@mikro-orm/libsql');
      const orm = await MikroORM.init({ dbName: database.options.database as string, entities: [Order] });
      return { database, orm };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const database = await postgresDatabase('hooks_mikro');
      const o = database.options as { host: string; port: number; username: string; database: string };
      const { MikroORM } = await import('@mikro-orm/postgresql');
      const orm = await MikroORM.init({
        dbName: o.database,
        host: o.host,
        port: o.port,
        user: o.username,
        entities: [Order],
      });
      return { database, orm };
    },
  ],
  [
    'MariaDB',
    async () => {
      const database = await mariadbDatabase('hooks_mikro');
      const o = database.options as {
        host: string;
        port: number;
        username: string;
        password: string;
        database: string;
      };
      const { MikroORM } = await import('@mikro-orm/mariadb');
      const orm = await MikroORM.init({
        dbName: o.database,
        host: o.host,
        port: o.port,
        user: o.username,
        password: o.password,
        entities: [Order],
      });
      return { database, orm };
    },
  ],
];

describe.each(engines)("MikroORM's onCreate: () => leafIds.sync(tag) on %s", (_name, create) => {
  let moduleRef: TestingModule;
  let database: EngineDatabase;
  let orm: MikroORM;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [LeafTestingModule.forRoot({ bizTags: ['order'] })],
    }).compile();
    await moduleRef.init();
    ({ database, orm } = await create());
    await orm.schema.createSchema();
  });

  afterAll(async () => {
    await orm?.close(true);
    await moduleRef?.close();
    await database?.dispose();
  });

  it('fills keys on em.create and persist, one flush of many, and keeps a key given', async () => {
    const em = orm.em.fork();
    const created = em.create(Order, { total: 1 });
    const persisted = Object.assign(new Order(), { total: 2 });
    const given = em.create(Order, { id: 9_000_000_000_000_000_000n, total: 3 });
    em.persist([persisted, given]);
    await em.flush();
    expect(typeof created.id).toBe('bigint');
    expectStrictlyIncreasing([created.id, persisted.id]);
    expect(given.id).toBe(9_000_000_000_000_000_000n);
    const read = await orm.em.fork().find(Order, {}, { orderBy: { total: 'asc' } });
    expect(read.map((order) => order.id)).toEqual([created.id, persisted.id, given.id]);
    expect(read.map((order) => typeof order.id)).toEqual(['bigint', 'bigint', 'bigint']);
  });
});
