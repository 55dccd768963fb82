import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { Column, Entity, PrimaryGeneratedColumn, type DataSource } from 'typeorm';
import { IdGenerator, LeafModule, LeafUnavailableError, UnknownBizTagError } from 'nest-leaf';
import { LeafAllocMigration, LeafId } from 'nest-leaf/typeorm';
import { expectStrictlyIncreasing, expectUnique } from '../../harness/assertions.js';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from '../support/engines.js';

@Entity('hooks_order')
class Order {
  @LeafId('order') id!: bigint;
  @Column() total!: number;
  @Column({ type: 'varchar', length: 20, unique: true, nullable: true }) code?: string | null;
}

/** A subclass entity: the key is inherited from its base class. */
abstract class Keyed {
  @LeafId('line') id!: bigint;
}
@Entity('hooks_line')
class Line extends Keyed {
  @Column() sku!: string;
}

@Entity('hooks_note')
class Note {
  @PrimaryGeneratedColumn() id!: number;
  @Column() text!: string;
}

@Entity('hooks_stray')
class Stray {
  @LeafId('no_such_tag') id!: bigint;
}

const engines: Array<[string, () => Promise<EngineDatabase>]> = [
  ['SQLite', sqliteDatabase],
  ['PostgreSQL', () => postgresDatabase('hooks_typeorm')],
  ['MariaDB', () => mariadbDatabase('hooks_typeorm')],
];

describe.each(engines)('@LeafId on %s', (_name, create) => {
  let database: EngineDatabase;
  let app: INestApplicationContext;
  let ids: IdGenerator;
  let dataSource: DataSource;
  let nextIds: jest.SpiedFunction<IdGenerator['nextIds']>;

  beforeAll(async () => {
    database = await create();
    @Module({
      imports: [
        TypeOrmModule.forRoot({
          ...database.options,
          entities: [Order, Line, Note, Stray],
          synchronize: true,
          migrations: [LeafAllocMigration],
          migrationsRun: true,
        }),
        LeafModule.forRoot({ bizTags: ['order', 'line'], step: 100, reservationTimeoutMs: 2000 }),
      ],
    })
    class AppModule {}
    app = await Test.createTestingModule({ imports: [AppModule] }).compile();
    await app.init();
    ids = app.get(IdGenerator);
    dataSource = app.get<DataSource>(getDataSourceToken());
    nextIds = jest.spyOn(ids, 'nextIds');
  });

  afterAll(async () => {
    await app?.close();
    await database?.dispose();
  });

  beforeEach(() => {
    nextIds.mockClear();
  });

  it('fills the key of one saved entity, and reads it back as a bigint', async () => {
    const order = await dataSource.getRepository(Order).save(Object.assign(new Order(), { total: 10 }));
    expect(typeof order.id).toBe('bigint');
    const read = await dataSource.getRepository(Order).findOneByOrFail({ id: order.id });
    expect(read.id).toBe(order.id);
    expect(typeof read.id).toBe('bigint');
  });

  it('takes one nextIds for a save() of many entities', async () => {
    const orders = Array.from({ length: 40 }, (_, i) => Object.assign(new Order(), { total: i }));
    await dataSource.getRepository(Order).save(orders);
    expect(nextIds.mock.calls).toEqual([['order', 40]]);
    const keys = orders.map((order) => order.id);
    expectUnique(keys);
    expectStrictlyIncreasing(keys);
    const read = await dataSource.getRepository(Order).find({ order: { id: 'ASC' } });
    expect(read.map((order) => order.id)).toEqual(expect.arrayContaining(keys));
    expect(read.every((order) => typeof order.id === 'bigint')).toBe(true);
  });

  it('fills keys on repository.insert() and on QueryBuilder insert().values(), one nextIds each', async () => {
    const rows = [{ total: 1 }, { total: 2 }, { total: 3 }];
    await dataSource.getRepository(Order).insert(rows);
    const built = [{ total: 4 }, { total: 5 }];
    await dataSource.createQueryBuilder().insert().into(Order).values(built).execute();
    expect(nextIds.mock.calls).toEqual([
      ['order', 3],
      ['order', 2],
    ]);
    const keys = [...rows, ...built].map((row) => (row as Partial<Order>).id);
    expectStrictlyIncreasing(keys as bigint[]);
    const read = await dataSource.getRepository(Order).findBy({ total: 4 });
    expect(read.map((order) => order.id)).toContain(keys[3]);
  });

  it('gives the inserted row of an upsert a key, and leaves the key of a row that exists', async () => {
    const repository = dataSource.getRepository(Order);
    await repository.upsert({ code: 'A', total: 1 }, ['code']);
    const inserted = await repository.findOneByOrFail({ code: 'A' });
    expect(typeof inserted.id).toBe('bigint');
    await repository.upsert({ code: 'A', total: 2 }, ['code']);
    expect(await repository.findOneByOrFail({ code: 'A' })).toMatchObject({ id: inserted.id, total: 2 });
  });

  it('keeps a key the caller set, and takes no ID for it', async () => {
    const order = await dataSource
      .getRepository(Order)
      .save(Object.assign(new Order(), { id: 9_000_000_000_001n, total: 7 }));
    expect(order.id).toBe(9_000_000_000_001n);
    expect(nextIds).not.toHaveBeenCalled();
    expect((await dataSource.getRepository(Order).findOneByOrFail({ id: 9_000_000_000_001n })).total).toBe(7);
  });

  it('fills an inherited key from its own tag', async () => {
    const lines = await dataSource.getRepository(Line).save([{ sku: 'a' }, { sku: 'b' }]);
    expect(nextIds.mock.calls).toEqual([['line', 2]]);
    expect(lines.map((line) => typeof line.id)).toEqual(['bigint', 'bigint']);
  });

  it('leaves an entity without @LeafId to its own key', async () => {
    const note = await dataSource.getRepository(Note).save({ text: 'hello' });
    expect(typeof note.id).toBe('number');
    expect(nextIds).not.toHaveBeenCalled();
  });

  it("fails the insert with the generator's error when the tag is not served, and inserts nothing", async () => {
    const failed = await dataSource
      .getRepository(Stray)
      .save(new Stray())
      .catch((error: unknown) => error);
    if (database.engine === 'sqlite') {
      // SQLite has one writer: looking the tag up waits for the lock that save()'s own transaction holds.
      expect(failed).toBeInstanceOf(LeafUnavailableError);
      expect((failed as LeafUnavailableError).reason).toBe('unreachable');
    } else {
      expect(failed).toBeInstanceOf(UnknownBizTagError);
    }
    expect(await dataSource.getRepository(Stray).count()).toBe(0);
  });
});
