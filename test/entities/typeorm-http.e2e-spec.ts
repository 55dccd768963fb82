import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Body,
  Controller,
  Get,
  Inject,
  Module,
  Param,
  Post,
  UseInterceptors,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { Column, Entity, type Repository } from 'typeorm';
import { BigIntInterceptor, LeafModule } from 'nest-leaf';
import { LeafAllocMigration, LeafId } from 'nest-leaf/typeorm';
import { sqliteDatabase, type EngineDatabase } from '../support/engines.js';

@Entity('hooks_http_order')
class Order {
  @LeafId('order') id!: bigint;
  @Column() total!: number;
}

/** The controller of docs/data-layers.md ("IDs over HTTP"): it returns the saved entity as it is. */
@Controller('orders')
@UseInterceptors(BigIntInterceptor)
class OrdersController {
  constructor(@Inject(getRepositoryToken(Order)) private readonly orders: Repository<Order>) {}

  @Post()
  create(@Body() body: { total: number }): Promise<Order> {
    return this.orders.save(this.orders.create(body));
  }

  @Get(':id')
  find(@Param('id') id: string): Promise<Order | null> {
    return this.orders.findOneBy({ id: BigInt(id) });
  }
}

describe('a @LeafId entity returned from a controller (Express, SQLite)', () => {
  let database: EngineDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    database = await sqliteDatabase();
    @Module({
      imports: [
        TypeOrmModule.forRoot({
          ...database.options,
          entities: [Order],
          synchronize: true,
          migrations: [LeafAllocMigration],
          migrationsRun: true,
        }),
        TypeOrmModule.forFeature([Order]),
        LeafModule.forRoot({ bizTags: ['order'] }),
      ],
      controllers: [OrdersController],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await database?.dispose();
  });

  it('answers 201 with the key as a string, and finds the order by it', async () => {
    const created = await request(app.getHttpServer()).post('/orders').send({ total: 10 }).expect(201);
    expect(created.body).toEqual({ id: expect.stringMatching(/^\d+$/), total: 10 });
    const found = await request(app.getHttpServer()).get(`/orders/${created.body.id}`).expect(200);
    expect(found.body).toEqual(created.body);
  });
});
