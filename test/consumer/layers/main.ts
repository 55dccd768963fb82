// Starts one of docs/data-layers.md's apps (argv[2]: plain-pg, prisma or drizzle) on DATABASE_URL, posts two
// orders over HTTP, and prints what came back as JSON. Compiled in a scratch project where 'nest-leaf' is the
// installed tarball and neither typeorm nor @nestjs/typeorm is.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';

const layer = process.argv[2];
const modules: Record<string, () => Promise<object>> = {
  'plain-pg': async () => (await import('./plain-pg/app.module.js')).PlainPgAppModule,
  prisma: async () => (await import('./prisma/app.module.js')).PrismaAppModule,
  drizzle: async () => (await import('./drizzle/app.module.js')).DrizzleAppModule,
};
if (!modules[layer]) throw new Error(`usage: main.js ${Object.keys(modules).join('|')}, got ${layer}`);

// A variable, so that the compiler does not look for a package that is not there.
const typeorm = 'typeorm';
const typeormMissing = await import(typeorm).then(
  () => false,
  () => true,
);
const app = await NestFactory.create(await modules[layer](), { logger: ['error'] });
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
const created = [];
for (const total of [10, 20]) {
  const response = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ total }),
  });
  created.push({ status: response.status, body: await response.json() });
}
await app.close();
console.log(JSON.stringify({ typeormMissing, created }));
