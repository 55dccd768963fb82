import type { CalendarDay } from '../calendar.js';
import { describeValue } from '../errors/describe-value.js';
import { GaplessBusyError } from '../errors/gapless-busy.error.js';
import { LeafError } from '../errors/leaf.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import type { ResolvedLeafOptions } from '../leaf.defaults.js';
import { type GaplessCall, type GaplessExecutor, notInTransaction } from './gapless-executor.js';
import { type GaplessDialect, gaplessDialect, gaplessFailure, instantOf } from './gapless-sql.js';
import { gaplessExecutorOf, GaplessSeries, type GaplessSeriesSpec } from './gapless-series.js';

export type { GaplessCall } from './gapless-executor.js';

/** A number taken, with the day of the database's clock it was taken on. */
interface Taken {
  readonly value: bigint;
  readonly day: CalendarDay;
  readonly spec: GaplessSeriesSpec;
}

/**
 * Gapless numbers (`IdGenerator.nextGapless`, `nextGaplessCode`), taken in the caller's transaction: the database's
 * clock names the period (in the module's `timeZone`; the node's clock is never read), then one upsert increments the
 * series' counter row for that period, which stays locked until the caller's transaction ends. A commit keeps the
 * number; a rollback, or a connection that dies first, gives it back to the next caller. So the committed numbers of a
 * series are 1, 2, 3, … whatever fails.
 *
 * Errors, each saying what to do: `GaplessBusyError` (`timeout`: the previous holder kept the row past `waitTimeoutMs`;
 * `conflict`: a deadlock, a Galera certification or a serialization failure), retried by running the whole transaction
 * again; `InvalidArgumentError` (a manager outside an open transaction, a malformed or segment tag);
 * `UnknownBizTagError` (no gapless entry of that name); `LeafStoreError` (no `leaf_gapless` table).
 */
export class GaplessNumbers {
  constructor(private readonly options: ResolvedLeafOptions) {}

  /** Read when a number is taken, not built here: `forFeature` modules add their series before startup. */
  private get series(): GaplessSeries {
    return GaplessSeries.of(this.options);
  }

  async next(bizTag: string, call: GaplessCall): Promise<bigint> {
    return (await this.take(bizTag, call, 'nextGapless')).value;
  }

  async nextCode(bizTag: string, call: GaplessCall): Promise<string> {
    const { value, day, spec } = await this.take(bizTag, call, 'nextGaplessCode');
    return spec.format.render(day).code(value);
  }

  private async take(bizTag: string, call: GaplessCall, method: string): Promise<Taken> {
    const spec = this.series.get(bizTag, method);
    const executor = await gaplessExecutorOf(call?.manager, method, bizTag);
    const open = await executor.inTransaction();
    if (open !== true) throw notInTransaction(method, bizTag, open === false ? false : undefined);
    const dialect = gaplessDialect(executor.engine);
    const { waitTimeoutMs } = this.options;
    let period = '';
    try {
      const [clock = {}] = (await executor.query(dialect.clockSql, [], waitTimeoutMs)).rows;
      const instant = instantOf(clock.now_utc);
      if (instant === undefined) {
        throw new LeafStoreError(
          `The database's clock came back as ${describeValue(clock.now_utc)}, not as a UTC time: the ${executor.engine} ` +
            'executor must return the rows of its SELECT as they are.',
        );
      }
      const day = this.series.dayAt(instant);
      period = this.series.periodOf(spec, day);
      const value = await this.increment(executor, dialect, spec.tag, period, clock);
      return { value, day, spec };
    } catch (error) {
      throw this.explained(error, spec.tag, period);
    }
  }

  /** The upsert of the counter row (waiting at most `waitTimeoutMs` for it), and the value it came to. */
  private async increment(
    executor: GaplessExecutor,
    dialect: GaplessDialect,
    series: string,
    period: string,
    clock: Record<string, unknown>,
  ): Promise<bigint> {
    const { waitTimeoutMs } = this.options;
    const statement = dialect.increment(series, period, waitTimeoutMs, clock);
    if (statement.before !== undefined) await executor.query(statement.before, [], waitTimeoutMs);
    let value: unknown;
    try {
      value = dialect.value(await executor.query(statement.sql, statement.params, waitTimeoutMs));
    } finally {
      if (statement.after !== undefined) await executor.query(statement.after, [], waitTimeoutMs);
    }
    if (value === undefined && dialect.lastValueSql !== undefined) {
      value = (await executor.query(dialect.lastValueSql, [], waitTimeoutMs)).rows[0]?.value;
    }
    // A JS number past 2^53 has lost digits already: refuse it rather than hand out a wrong number.
    if ((typeof value === 'number' && Number.isSafeInteger(value)) || typeof value === 'bigint') return BigInt(value);
    if (typeof value === 'string' && /^[1-9]\d*$/.test(value)) return BigInt(value);
    throw new LeafStoreError(
      `The counter of "${series}" came back as ${describeValue(value)}. Keep the driver's BIGINT as exact strings ` +
        "(mysql2: supportBigNumbers and bigNumberStrings), and return the statement's rows as they are.",
    );
  }

  /** A driver's error as the library's: a wait past the bound, a conflict, a missing table; others as they are. */
  private explained(error: unknown, series: string, period: string): unknown {
    if (error instanceof LeafError) return error;
    switch (gaplessFailure(error)) {
      case 'timeout':
        return GaplessBusyError.timedOut(series, period, this.options.waitTimeoutMs, error);
      case 'conflict':
        return GaplessBusyError.conflict(series, period, error);
      case 'missing-table':
        return new LeafStoreError(
          'Table leaf_gapless does not exist, so no gapless number can be taken (TypeORM synchronize never creates ' +
            "it). Add LeafGaplessMigration (from 'nest-leaf/typeorm') to the DataSource's migrations, with " +
            'migrationsRun: true or the TypeORM CLI, or create it with the SQL of createGaplessTableSql(engine). The ' +
            'transaction this call was in has failed: roll it back.',
          { cause: error },
        );
      default:
        return error;
    }
  }
}
