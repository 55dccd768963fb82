import type { EntityMetadata, EntitySubscriberInterface, InsertEvent } from 'typeorm';
import type { LeafIdSource } from '../leaf-id-source.js';
import { leafIdOf, type LeafIdColumn } from './leaf-id.registry.js';

/** An entity waiting for its key, and the `beforeInsert` promise TypeORM awaits for it. */
interface Waiting {
  readonly row: Record<string, unknown>;
  readonly property: string;
  readonly done: () => void;
  readonly failed: (error: unknown) => void;
}

/**
 * Fills the `@LeafId` key of every row TypeORM inserts without one: `save()` of one entity or many, cascades,
 * `repository.insert()` and `createQueryBuilder().insert().values(…)` (which all call `beforeInsert`, unless the
 * caller turned listeners off with `{ listeners: false }` / `.callListeners(false)`). A key the caller set is kept.
 *
 * TypeORM has only a per-row hook, but calls it for every row of a statement before awaiting any: the rows asked in
 * one turn of the event loop are gathered, and each tag's share is taken with one `nextIds` (in chunks of
 * `maxBatchSize`). From memory, that is no I/O at all; otherwise the insert waits for the segment as `nextId` would,
 * and fails with its error (`LeafUnavailableError`, …).
 *
 * `LeafModule` registers one on each initialised DataSource with a `@LeafId` entity. By hand (a DataSource made
 * after startup, or outside Nest): `dataSource.subscribers.push(new LeafIdSubscriber(ids))` after `initialize()`.
 */
export class LeafIdSubscriber implements EntitySubscriberInterface {
  private waiting = new Map<string, Waiting[]>();
  private readonly columns = new WeakMap<EntityMetadata, LeafIdColumn | null>();

  /** @param maxBatchSize the generator's `maxBatchSize` (default 10,000): the most IDs one `nextIds` takes */
  constructor(
    private readonly ids: LeafIdSource,
    private readonly maxBatchSize = 10_000,
  ) {}

  beforeInsert(event: InsertEvent<unknown>): Promise<void> | undefined {
    const column = this.columnOf(event.metadata);
    const row = event.entity as Record<string, unknown> | null | undefined;
    if (column === null || row === null || typeof row !== 'object') return undefined;
    const given = row[column.property];
    if (given !== undefined && given !== null) return undefined;
    return new Promise((done, failed) => this.enqueue(column, { row, property: column.property, done, failed }));
  }

  private columnOf(metadata: EntityMetadata): LeafIdColumn | null {
    let column = this.columns.get(metadata);
    if (column === undefined) {
      column = leafIdOf(metadata.target) ?? null;
      this.columns.set(metadata, column);
    }
    return column;
  }

  private enqueue(column: LeafIdColumn, waiting: Waiting): void {
    if (this.waiting.size === 0) queueMicrotask(() => this.take());
    const queue = this.waiting.get(column.bizTag);
    if (queue === undefined) this.waiting.set(column.bizTag, [waiting]);
    else queue.push(waiting);
  }

  /** One `nextIds` per tag (per chunk of `maxBatchSize`) for every row asked since the last turn. */
  private take(): void {
    const waiting = this.waiting;
    this.waiting = new Map();
    for (const [bizTag, queue] of waiting) {
      for (let from = 0; from < queue.length; from += this.maxBatchSize) {
        const chunk = queue.slice(from, from + this.maxBatchSize);
        this.ids.nextIds(bizTag, chunk.length).then(
          (ids) => {
            chunk.forEach((entry, i) => {
              entry.row[entry.property] = ids[i];
              entry.done();
            });
          },
          (error: unknown) => chunk.forEach((entry) => entry.failed(error)),
        );
      }
    }
  }
}
