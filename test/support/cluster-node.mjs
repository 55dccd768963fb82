// One node of the kill test (test/cluster-kill.e2e-spec.ts): a Nest application context with its own
// TypeORM DataSource, issuing IDs from many concurrent loops until SIGTERM (graceful) or SIGKILL.
// Plain JavaScript because Jest cannot run TypeScript in a child process; it imports the built library.
//
// Every reservation and every issued ID is written to the record file with writeSync before the ID is
// used, so a SIGKILL loses at most a partly written last line. Lines (tags are indexes into `tags`):
//   R <tag> <start> <end> <epoch ms>   a reserved range [start, end), and when this node heard of it
//   I <tag> <id> [<id> ...]            IDs one call returned, in the order they were issued
//   F <tag> <epoch ms>                 a failed reservation (one that timed out may still have taken IDs)
import 'reflect-metadata';
import { closeSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdGenerator, LeafModule, LeafUnavailableError } from 'nest-leaf';

/** @type {{ record: string, mysql: Record<string, unknown>, leaf: Record<string, unknown> & { bizTags: string[] }, loopsPerTag: number, maxBatch: number }} */
const config = JSON.parse(process.env.LEAF_CLUSTER_NODE ?? '');
const tags = config.leaf.bizTags;
const tagIndex = new Map(tags.map((tag, index) => [tag, index]));
const fd = openSync(config.record, 'w');
const record = (line) => writeSync(fd, line);
// Sub-millisecond, so two ranges reserved in the same millisecond by different nodes still have an order.
const now = () => (performance.timeOrigin + performance.now()).toFixed(3);

// A provider's factory runs before any onModuleInit, so the startup reservations are recorded too.
const RESERVATION_RECORDER = Symbol('reservation recorder');

class NodeModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({ ...config.mysql, autoLoadEntities: true, retryAttempts: 0, extra: { connectionLimit: 4 } }),
    LeafModule.forRoot(config.leaf),
  ],
  providers: [
    {
      provide: RESERVATION_RECORDER,
      inject: [IdGenerator],
      useFactory: (ids) =>
        ids.onReservation((event) => {
          if (event.ok) record(`R ${tagIndex.get(event.tag)} ${event.range.start} ${event.range.end} ${now()}\n`);
          else record(`F ${tagIndex.get(event.tag)} ${now()}\n`);
        }),
    },
  ],
})(NodeModule);

let running = true;

/** Mostly single IDs, every third call a small batch, with short random pauses so other loops interleave. */
async function issue(ids, tag, loop) {
  const index = tagIndex.get(tag);
  for (let call = loop; running; call++) {
    let issued;
    try {
      issued = call % 3 === 0 ? await ids.nextIds(tag, 2 + (call % (config.maxBatch - 1))) : [await ids.nextId(tag)];
    } catch (error) {
      // Calls waiting when the generator closes are refused; anything else is a failure of the library.
      if (!running && error instanceof LeafUnavailableError) return;
      throw error;
    }
    record(`I ${index} ${issued.join(' ')}\n`);
    const pause = Math.random();
    if (pause < 0.1) await new Promise((resolve) => setImmediate(resolve));
    else await sleep(Math.ceil(pause * 16));
  }
}

// The parent holds an IPC channel open for as long as it lives: never outlive it (it may have died while
// this module was loading, before the listener existed).
process.once('disconnect', () => process.exit(1));
if (!process.connected) process.exit(1);

const app = await NestFactory.createApplicationContext(NodeModule, { logger: ['error', 'warn'], abortOnError: false });
const ids = app.get(IdGenerator);
const loops = tags.flatMap((tag) => Array.from({ length: config.loopsPerTag }, (_, loop) => issue(ids, tag, loop)));

process.on('SIGTERM', async () => {
  running = false;
  // Closing while the loops still call is deliberate: IDs issued during shutdown must not be given back.
  await app.close();
  await Promise.all(loops);
  closeSync(fd);
  process.exit(0);
});
process.stdout.write('ready\n');
await Promise.all(loops);
