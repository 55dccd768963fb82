import { Prisma } from '@prisma/client/extension';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { bizTagProblem } from '../leaf.options-validation.js';
import type { LeafIdSource } from '../leaf-id-source.js';

/** A model's Leaf key: its tag (the key field is then `id`), or the tag and the field. */
export type LeafIdModel = string | { readonly bizTag: string; readonly field?: string };

/** Options of `withLeafIds`. */
export interface LeafIdsExtensionOptions {
  /** The generator's `maxBatchSize` (default 10,000): a `createMany` of more rows takes its IDs in chunks of it. */
  readonly maxBatchSize?: number;
}

type Row = Record<string, unknown>;
type Key = { readonly bizTag: string; readonly field: string };

/**
 * A Prisma client extension that fills the `BigInt` key of the models listed from their tags, when the caller left
 * it out: `create`, `createMany` and `createManyAndReturn` (one `nextIds` for all their rows), and the create branch of
 * `upsert` (an ID is taken even when the row exists: a gap, harmless). A key the caller gives is kept.
 *
 * ```ts
 * const prisma = new PrismaClient({ adapter }).$extends(withLeafIds(ids, { Order: 'order', Invoice: { bizTag: 'invoice', field: 'number' } }));
 * const order = await prisma.order.create({ data: { total: 10 } }); // order.id: 1001n
 * ```
 * Models are named as in the schema (`Order`, not `order`); the key is a `BigInt` field (`id BigInt @id`). Not
 * covered, as Prisma gives extensions only the top-level call: rows created through a relation (`data: { lines: {
 * create: [...] } }`) and raw SQL; give those their keys with `ids.nextIds()`.
 *
 * @throws InvalidArgumentError when a tag or field is unusable (here), or a model is not in the client (at `$extends`)
 */
export function withLeafIds(
  ids: LeafIdSource,
  models: Readonly<Record<string, LeafIdModel>>,
  options: LeafIdsExtensionOptions = {},
) {
  const keys = keysOf(models);
  const maxBatchSize = options.maxBatchSize ?? 10_000;
  const take = async (key: Key, rows: readonly Row[]): Promise<void> => {
    const missing = rows.filter((row) => row[key.field] === undefined || row[key.field] === null);
    for (let from = 0; from < missing.length; from += maxBatchSize) {
      const chunk = missing.slice(from, from + maxBatchSize);
      const taken = await ids.nextIds(key.bizTag, chunk.length);
      chunk.forEach((row, i) => (row[key.field] = taken[i]));
    }
  };
  const many = async ({ model, args, query }: { model: string; args: { data: Row | Row[] }; query: Next }) => {
    const key = keys.get(model);
    if (key !== undefined) {
      const data = Array.isArray(args.data) ? args.data.map((row) => ({ ...row })) : [{ ...args.data }];
      await take(key, data);
      args = { ...args, data };
    }
    return query(args);
  };
  return Prisma.defineExtension((client) => {
    for (const model of keys.keys()) {
      if ((client as unknown as Row)[model.charAt(0).toLowerCase() + model.slice(1)] === undefined) {
        throw new InvalidArgumentError(
          'table',
          `withLeafIds: this Prisma client has no model "${model}". Name models as the schema does (model Order → "Order").`,
        );
      }
    }
    return client.$extends({
      name: 'nest-leaf',
      query: {
        $allModels: {
          async create({ model, args, query }) {
            const key = keys.get(model);
            if (key === undefined) return query(args);
            const data = { ...(args.data as Row) };
            await take(key, [data]);
            return query({ ...args, data } as typeof args);
          },
          createMany: many as never,
          createManyAndReturn: many as never,
          async upsert({ model, args, query }) {
            const key = keys.get(model);
            if (key === undefined) return query(args);
            const create = { ...(args.create as Row) };
            await take(key, [create]);
            return query({ ...args, create } as typeof args);
          },
        },
      },
    });
  });
}

type Next = (args: unknown) => Promise<unknown>;

/** The map checked and made uniform: every model's tag and key field. */
function keysOf(models: Readonly<Record<string, LeafIdModel>>): Map<string, Key> {
  if (typeof models !== 'object' || models === null) {
    throw new InvalidArgumentError('bizTag', "withLeafIds needs a map of models to tags: { Order: 'order' }.");
  }
  const keys = new Map<string, Key>();
  for (const [model, entry] of Object.entries(models)) {
    const { bizTag, field = 'id' } = typeof entry === 'string' ? { bizTag: entry } : (entry ?? { bizTag: undefined });
    const problem = bizTagProblem(bizTag);
    if (problem !== undefined) throw new InvalidArgumentError('bizTag', `withLeafIds, model ${model}: ${problem}.`);
    if (typeof field !== 'string' || field.length === 0) {
      throw new InvalidArgumentError('column', `withLeafIds, model ${model}: field must be the name of the key field.`);
    }
    keys.set(model, { bizTag: bizTag as string, field });
  }
  return keys;
}
