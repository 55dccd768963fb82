// An app with neither typeorm nor @nestjs/typeorm installed: the library on Redis, and through an ID server (on Redis
// too) with HttpLeafStore. Compiled in a scratch project outside the repository; prints what it saw as JSON.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { IdGenerator, InvalidLeafOptionsError, LeafModule } from 'nest-leaf';
import { HttpLeafStore } from 'nest-leaf/http';
import { RedisLeafStore } from 'nest-leaf/redis';
import { LeafServerModule } from 'nest-leaf/server';

const missing = async (name: string) =>
  import(name).then(
    () => false,
    () => true,
  );
const keyPrefix = `consumer-bare:${process.pid}:`;
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const TOKEN = 'consumer-bare-token-0123456789';

@Module({ imports: [LeafModule.forRoot({ bizTags: ['order'], store: new RedisLeafStore(redis, { keyPrefix }) })] })
class RedisApp {}
const onRedis = await NestFactory.createApplicationContext(RedisApp, { logger: ['error'] });
const redisIds = [await onRedis.get(IdGenerator).nextId('order'), await onRedis.get(IdGenerator).nextId('order')];
await onRedis.close();

@Module({
  imports: [
    LeafModule.forRoot({ bizTags: ['invoice'], store: new RedisLeafStore(redis, { keyPrefix }) }),
    LeafServerModule.forRoot({ clients: [{ name: 'billing', token: TOKEN, tags: ['invoice'] }] }),
  ],
})
class ServerApp {}
const server = await NestFactory.create(ServerApp, { logger: ['error'] });
await server.listen(0, '127.0.0.1');
const baseUrl = (await server.getUrl()).replace('[::1]', '127.0.0.1');

@Module({
  imports: [LeafModule.forRoot({ bizTags: ['invoice'], store: new HttpLeafStore({ baseUrl, token: TOKEN }) })],
})
class ClientApp {}
const client = await NestFactory.createApplicationContext(ClientApp, { logger: ['error'] });
const httpIds = [await client.get(IdGenerator).nextId('invoice'), await client.get(IdGenerator).nextId('invoice')];
await client.close();
await server.close();

// No store and no TypeORM: the boot says which option to set.
@Module({ imports: [LeafModule.forRoot({ bizTags: ['order'] })] })
class NoStoreApp {}
let noStore: { code?: string; option?: string; message?: string } = {};
try {
  const app = await NestFactory.createApplicationContext(NoStoreApp, { logger: false, abortOnError: false });
  await app.close();
} catch (error) {
  if (error instanceof InvalidLeafOptionsError)
    noStore = { code: error.code, option: error.option, message: error.message };
  else noStore = { message: String(error) };
}

for (const key of await redis.keys(`${keyPrefix}*`)) await redis.del(key);
redis.disconnect();
console.log(
  JSON.stringify({
    typeormMissing: (await missing('typeorm')) && (await missing('@nestjs/typeorm')),
    redisIds: redisIds.map(String),
    httpIds: httpIds.map(String),
    noStore,
  }),
);
