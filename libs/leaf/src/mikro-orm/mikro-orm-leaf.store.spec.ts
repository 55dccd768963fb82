import { describe, expect, it } from '@jest/globals';
import type { EntityManager } from '@mikro-orm/core';
import { MikroOrmLeafStore, mikroOrmExecutor } from './mikro-orm-leaf.store.js';

// The engine is told by the driver's package, on MikroORM's real drivers, none of them connected. A new options
// object each time: MikroORM.init writes its driver into the one it is given.
const noDatabase = () => ({ dbName: 'leaf', entities: [], discovery: { warnWhenNoEntities: false }, connect: false });

describe('mikroOrmExecutor: the engine', () => {
  it.each([
    ['@mikro-orm/postgresql', 'postgres'],
    ['@mikro-orm/mariadb', 'mariadb'],
    ['@mikro-orm/libsql', 'sqlite'],
  ] as const)('is told by the driver of %s: %s, the database named', async (driver, engine) => {
    const { MikroORM } = (await import(driver)) as typeof import('@mikro-orm/postgresql');
    const orm = await MikroORM.init(noDatabase());
    const executor = mikroOrmExecutor(orm.em);
    expect(executor.engine).toBe(engine);
    expect(executor.database).toBe('leaf');
    expect(executor.serverEngine).toBeUndefined();
    await orm.close(true);
  });

  it('is asked of the server on mysql2 (MySQL or MariaDB), and { engine } overrides the driver', async () => {
    const em = fakeEm(['knex', 'mysql2']);
    expect(mikroOrmExecutor(em).engine).toBe('mysql');
    expect(mikroOrmExecutor(em).serverEngine).toBeInstanceOf(Function);
    expect(mikroOrmExecutor(fakeEm(['mongodb']), 'postgres').engine).toBe('postgres');
  });

  it('refuses a driver it cannot tell, saying how to name the engine', () => {
    expect(() => mikroOrmExecutor(fakeEm(['mongodb']))).toThrow(/mongodb\): pass \{ engine: 'postgres'/);
  });

  it('MikroOrmLeafStore refuses what is not an EntityManager', () => {
    expect(() => new MikroOrmLeafStore({} as EntityManager)).toThrow(/takes a MikroORM EntityManager \(orm\.em\)/);
  });
});

/** An entity manager of a driver MikroORM has no SQL for: only what the executor reads before a statement runs. */
function fakeEm(dependencies: string[]): EntityManager {
  return {
    getDriver: () => ({ getDependencies: () => dependencies }),
    getConnection: () => ({}),
    config: { get: () => 'leaf' },
  } as unknown as EntityManager;
}
