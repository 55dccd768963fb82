import {
  ColumnNode,
  DefaultInsertValueNode,
  InsertQueryNode,
  PrimitiveValueListNode,
  ValueListNode,
  ValueNode,
  ValuesNode,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { bizTagProblem } from '../leaf.options-validation.js';
import type { LeafSyncIdSource } from '../leaf-id-source.js';

/** A table's Leaf key: its tag (the key column is then `id`), or the tag and the column. */
export type LeafIdTable = string | { readonly bizTag: string; readonly column?: string };

type Key = { readonly bizTag: string; readonly column: string };

/**
 * A Kysely plugin that fills the key column of `insertInto(table).values(…)` for the tables listed, from their tags,
 * in every row that leaves it out: one `nextIdsSync` per statement. A key a row gives is kept.
 *
 * ```ts
 * const db = new Kysely<DB>({ dialect, plugins: [new LeafIdPlugin(ids, { orders: 'order' })] });
 * await db.insertInto('orders').values([{ total: 1 }, { total: 2 }]).execute(); // ids 1001n, 1002n
 * ```
 * Kysely compiles synchronously, so the IDs come from memory (`nextIdsSync`): a tag with too few in memory fails the
 * statement with `LeafUnavailableError` (list the tags in `bizTags`; they are loaded by `app.init()`). Each
 * compilation takes IDs: a query compiled and not run leaves a gap. Not covered: `insertInto(…).expression(select)`
 * and inserts inside a `with`.
 *
 * @throws InvalidArgumentError when a tag or column is unusable (here)
 */
export class LeafIdPlugin implements KyselyPlugin {
  private readonly tables: Map<string, Key>;

  constructor(
    private readonly ids: LeafSyncIdSource,
    tables: Readonly<Record<string, LeafIdTable>>,
  ) {
    this.tables = keysOf(tables);
  }

  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (!InsertQueryNode.is(node) || node.into === undefined || node.values === undefined) return node;
    if (!ValuesNode.is(node.values)) return node;
    const key = this.tables.get(node.into.table.identifier.name);
    if (key === undefined) return node;
    const columns = node.columns ?? [];
    const at = columns.findIndex((column) => column.column.name === key.column);
    const rows = node.values.values;
    const missing = at < 0 ? rows.length : rows.filter((row) => isDefault(row, at)).length;
    if (missing === 0) return node;
    const taken = this.ids.nextIdsSync(key.bizTag, missing);
    let next = 0;
    const filled = rows.map((row) => {
      if (at < 0) {
        const id = taken[next++];
        return PrimitiveValueListNode.is(row)
          ? PrimitiveValueListNode.create([...row.values, id])
          : ValueListNode.create([...row.values, ValueNode.create(id)]);
      }
      if (!ValueListNode.is(row) || !isDefault(row, at)) return row;
      return ValueListNode.create(row.values.map((value, i) => (i === at ? ValueNode.create(taken[next++]) : value)));
    });
    return InsertQueryNode.cloneWith(node, {
      columns: at < 0 ? [...columns, ColumnNode.create(key.column)] : columns,
      values: ValuesNode.create(filled),
    });
  }

  transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(result);
  }
}

/** Whether a row leaves the column at `index` to `DEFAULT`: only a value list can (a primitive list has no nodes). */
function isDefault(row: OperationNode, index: number): boolean {
  return ValueListNode.is(row) && DefaultInsertValueNode.is(row.values[index]);
}

function keysOf(tables: Readonly<Record<string, LeafIdTable>>): Map<string, Key> {
  if (typeof tables !== 'object' || tables === null) {
    throw new InvalidArgumentError('table', "LeafIdPlugin needs a map of tables to tags: { orders: 'order' }.");
  }
  const keys = new Map<string, Key>();
  for (const [table, entry] of Object.entries(tables)) {
    const { bizTag, column = 'id' } = typeof entry === 'string' ? { bizTag: entry } : (entry ?? { bizTag: undefined });
    const problem = bizTagProblem(bizTag);
    if (problem !== undefined) throw new InvalidArgumentError('bizTag', `LeafIdPlugin, table ${table}: ${problem}.`);
    if (typeof column !== 'string' || column.length === 0) {
      throw new InvalidArgumentError('column', `LeafIdPlugin, table ${table}: column must name the key column.`);
    }
    keys.set(table, { bizTag: bizTag as string, column });
  }
  return keys;
}
