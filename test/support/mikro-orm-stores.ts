import type { MikroORM } from '@mikro-orm/core';
import { createTableSql, MikroOrmLeafStore } from 'nest-leaf/mikro-orm';
import type { LeafStoreUnderTest } from 'nest-leaf/testing';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from './engines.js';

// MikroOrmLeafStore on the MikroORM driver of each engine, with no entity at all (leaf_alloc is none of the app's):
// `leaf_alloc` created from createTableSql with MikroORM's own raw SQL, as a MikroORM user without TypeORM would.

type Options = { host: string; port: number; username: string; password?: string; database: string };

/**
 * No entity: MikroORM refuses to start without one unless told the application has none to map. A new object each
 * time, as MikroORM.init writes into the options it is given.
 */
const noEntities = () => ({ entities: [], discovery: { warnWhenNoEntities: false } });

async function ormOn(engine: 'postgres' | 'mariadb' | 'sqlite', database: EngineDatabase): Promise<MikroORM> {
  const o = database.options as unknown as Options;
  if (engine === 'sqlite') {
    const { MikroORM } = await import('@mikro-orm/libsql');
    return MikroORM.init({ dbName: o.database, ...noEntities() });
  }
  const server = { dbName: o.database, host: o.host, port: o.port, user: o.username, password: o.password };
  if (engine === 'postgres') {
    const { MikroORM } = await import('@mikro-orm/postgresql');
    return MikroORM.init({ ...server, ...noEntities() });
  }
  const { MikroORM } = await import('@mikro-orm/mariadb');
  return MikroORM.init({ ...server, ...noEntities() });
}

/** `MikroOrmLeafStore` on `orm.em`, its engine told by the driver, in a database of the suite's own. */
export async function mikroOrmStoreOn(
  engine: 'postgres' | 'mariadb' | 'sqlite',
  suite: string,
  { withTable = true } = {},
): Promise<Omit<LeafStoreUnderTest, 'store'> & { readonly store: MikroOrmLeafStore; readonly orm: MikroORM }> {
  const database =
    engine === 'sqlite'
      ? await sqliteDatabase()
      : engine === 'postgres'
        ? await postgresDatabase(suite)
        : await mariadbDatabase(suite);
  const orm = await ormOn(engine, database);
  if (withTable)
    await orm.em.getConnection().execute(createTableSql(engine === 'mariadb' ? 'mysql' : engine), [], 'run');
  return {
    store: new MikroOrmLeafStore(orm.em),
    orm,
    close: async () => {
      await orm.close(true);
      await database.dispose();
    },
  };
}
