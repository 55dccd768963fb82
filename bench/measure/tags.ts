import { startLeafApp, type LeafApp } from '../../harness/leaf-app.js';
import { median } from '../support/stats.js';
import { collectGarbage, now } from '../support/timing.js';

export interface TagsSettings {
  readonly tags: number;
  /** Boots of the many-tag app after the first (which creates the rows), each paired with a one-tag boot. */
  readonly restarts: number;
  readonly step: number;
}

export interface BootSample {
  readonly tags: number;
  /** From NestFactory.createApplicationContext to resolved: TypeORM's pool, the table read, missing rows, one reservation per tag. */
  readonly bootMs: number;
  /** `app.close()`, which gives every tag's unused tail back (one UPDATE per tag). */
  readonly closeMs: number;
  /** Heap after boot minus heap before, each after a full GC. */
  readonly heapDeltaBytes: number;
}

export interface TagsResult {
  readonly tags: number;
  /** The first boot with many tags: their rows are created (INSERTs of 500 rows) before the reservations. */
  readonly firstBoot: BootSample;
  readonly restarts: BootSample[];
  readonly singleTag: BootSample[];
  readonly bootMs: number;
  readonly singleTagBootMs: number;
  readonly closeMs: number;
  /** (heap with many tags - heap with one) / (tags - 1), median over the restarts. */
  readonly heapPerTagBytes: number;
}

const tagName = (i: number) => `tag_${String(i).padStart(5, '0')}`;

function heapUsed(): number {
  // Twice: a first full GC can leave garbage that finalizers released for the second one.
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

async function boot(database: string, tags: number, step: number): Promise<BootSample> {
  const bizTags = Array.from({ length: tags }, (_, i) => tagName(i));
  const heapBefore = heapUsed();
  const t0 = now();
  const leaf: LeafApp = await startLeafApp(database, { bizTags, step });
  const bootMs = now() - t0;
  if (leaf.ids.inspect().length !== tags) throw new Error(`expected ${tags} tags to be served`);
  const heapDeltaBytes = heapUsed() - heapBefore;
  const t1 = now();
  await leaf.close();
  return { tags, bootMs, closeMs: now() - t1, heapDeltaBytes };
}

/**
 * Boot time and heap of an app serving `tags` tags, against the same app with one tag, booted alternately.
 * The first many-tag boot creates the rows; the restarts find them.
 */
export async function runTags(
  database: string,
  settings: TagsSettings,
  progress: (line: string) => void,
): Promise<TagsResult> {
  // An unrecorded boot first: the first Nest/TypeORM boot in a process loads and compiles modules.
  await boot(database, 1, settings.step);
  const singleTag: BootSample[] = [];
  singleTag.push(await boot(database, 1, settings.step));
  progress(`tags: first boot with ${settings.tags.toLocaleString('en-US')} tags (creates their rows)`);
  const firstBoot = await boot(database, settings.tags, settings.step);
  const restarts: BootSample[] = [];
  for (let i = 0; i < settings.restarts; i++) {
    progress(
      `tags: restart ${i + 1}/${settings.restarts} with ${settings.tags.toLocaleString('en-US')} tags, and with 1`,
    );
    restarts.push(await boot(database, settings.tags, settings.step));
    singleTag.push(await boot(database, 1, settings.step));
  }
  const many = restarts.length > 0 ? restarts : [firstBoot];
  const perTag = many.map((sample, i) => {
    const single = singleTag[Math.min(i + 1, singleTag.length - 1)];
    return (sample.heapDeltaBytes - single.heapDeltaBytes) / (settings.tags - 1);
  });
  return {
    tags: settings.tags,
    firstBoot,
    restarts,
    singleTag,
    bootMs: median(many.map((s) => s.bootMs)),
    singleTagBootMs: median(singleTag.map((s) => s.bootMs)),
    closeMs: median(many.map((s) => s.closeMs)),
    heapPerTagBytes: median(perTag),
  };
}
