// The consumer app's entry point: boots the README's modules against one engine, then prints what it saw as JSON.
// It is compiled in a scratch project outside the repository, where 'nest-leaf' is the installed tarball.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IdGenerator, LeafError } from 'nest-leaf';
import { AppModule } from './app.module.js';
import { ObservabilityModule } from './observability.module.js';
import { OrderService } from './order.service.js';
import { OrdersController } from './orders.controller.js';
import { SqliteAppModule } from './sqlite-app.module.js';
import { runSpecs } from './spec-runner.js';

const engine = process.argv[2];
if (engine !== 'mariadb' && engine !== 'sqlite') throw new Error(`usage: main.js mariadb|sqlite, got ${engine}`);

@Module({
  imports: [engine === 'sqlite' ? SqliteAppModule : AppModule, ObservabilityModule],
  controllers: [OrdersController],
})
class ConsumerModule {}

const app = await NestFactory.create(ConsumerModule, { logger: ['error'] });
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');

const orders = app.get(OrderService);
const first = await orders.create();
const second = await orders.create();
const lines = await orders.reserveLines();
const posted = await fetch(`${url}/orders`, { method: 'POST' });
const created = { status: posted.status, body: await posted.json() };
const ids = app.get(IdGenerator);
let unknown: string | undefined;
try {
  await ids.nextId('no_such_tag');
} catch (error) {
  unknown = error instanceof LeafError ? error.code : String(error);
}
const health = await fetch(`${url}/health`);
const metrics = await fetch(`${url}/metrics`);
const specs = await runSpecs(['./order.service.spec.js']);
await app.close();

const text = await metrics.text();
console.log(
  JSON.stringify({
    node: process.version,
    idTypes: [typeof first.id, typeof second.id, typeof lines[0]],
    ids: [first.id, second.id].map(String),
    lines: { count: lines.length, increasing: lines.every((id, i) => i === 0 || id > lines[i - 1]) },
    unknown,
    created,
    health: { status: health.status, body: await health.json() },
    metrics: {
      status: metrics.status,
      issued: text.split('\n').filter((line) => line.startsWith('leaf_ids_issued_total{')),
    },
    specs,
  }),
);
