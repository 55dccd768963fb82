// The ID server and its client as docs/server.md writes them: the server on a fresh MariaDB database (its example
// creates leaf_alloc), a Leaf client's GET, and a service on HttpLeafStore. Prints what it saw as JSON.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { IdGenerator, LeafError } from 'nest-leaf';
import { IdServerModule } from './id-server.module.js';

const server = await NestFactory.create(IdServerModule, { logger: ['error'] });
server.enableShutdownHooks();
await server.listen(0, '127.0.0.1');
const url = (await server.getUrl()).replace('[::1]', '127.0.0.1');

const get = async (tag: string, token: string | undefined) => {
  const answer = await fetch(`${url}/api/segment/get/${tag}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: answer.status, text: await answer.text() };
};
const leafGet = await get('order', process.env.SHOP_TOKEN);
const forbidden = await get('invoice', process.env.SHOP_TOKEN);

// The service's module reads LEAF_URL and LEAF_TOKEN when it is loaded.
process.env.LEAF_URL = url;
process.env.LEAF_TOKEN = process.env.BILLING_TOKEN;
const { IdClientModule } = await import('./id-client.module.js');
const client = await NestFactory.createApplicationContext(IdClientModule, { logger: ['error'] });
const ids = client.get(IdGenerator);
const invoices = [await ids.nextId('invoice'), await ids.nextId('invoice')];
let notAllowed: string | undefined;
try {
  await ids.nextId('order');
} catch (error) {
  notAllowed = error instanceof LeafError ? error.code : String(error);
}
await client.close();
await server.close();

console.log(
  JSON.stringify({
    leafGet,
    forbidden: forbidden.status,
    invoices: invoices.map(String),
    notAllowed,
  }),
);
