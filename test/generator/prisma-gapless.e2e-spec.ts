import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { prismaGaplessExecutor, type GaplessEngine, type IdGenerator } from 'nest-leaf';
import { createGaplessTableSql } from 'nest-leaf/typeorm';
import { gaplessGenerator, RolledBack } from '../support/gapless.js';
import { prismaClientOn } from '../support/prisma-stores.js';

// A gapless number taken inside a Prisma interactive transaction: committed with it, given back by its rollback, and
// refused outside one.

const TAG = 'prisma-invoice';

describe.each([
  ['postgres', 'postgres'],
  ['sqlite', 'sqlite'],
] as const)('gapless numbers in a Prisma transaction on %s', (name, engine: GaplessEngine) => {
  let prisma: Awaited<ReturnType<typeof prismaClientOn>>['prisma'];
  let closeClient: () => Promise<void>;
  let ids: IdGenerator;
  let closeIds: () => Promise<void>;

  beforeAll(async () => {
    ({ prisma, close: closeClient } = await prismaClientOn(name, 'sql_exec_prisma_gapless'));
    await prisma.$executeRawUnsafe(createGaplessTableSql(engine));
    ({ ids, close: closeIds } = await gaplessGenerator({ bizTags: [{ tag: TAG, gapless: true }] }));
  });
  afterAll(async () => {
    await closeIds?.();
    await closeClient?.();
  });

  const take = () => prisma.$transaction((tx) => ids.nextGapless(TAG, { manager: prismaGaplessExecutor(tx, engine) }));

  it('commits the number with the transaction, and its rollback gives it back', async () => {
    expect(await take()).toBe(1n);
    const rolledBack = await prisma
      .$transaction(async (tx) => {
        expect(await ids.nextGapless(TAG, { manager: prismaGaplessExecutor(tx, engine) })).toBe(2n);
        throw new RolledBack();
      })
      .catch((error: unknown) => error);
    expect(rolledBack).toBeInstanceOf(RolledBack);
    expect(await take()).toBe(2n);
    expect(await take()).toBe(3n);
  });

  it('refuses the PrismaClient itself, which is in no transaction', async () => {
    const refusal = await ids.nextGapless(TAG, { manager: prismaGaplessExecutor(prisma, engine) }).catch((e) => e);
    expect(refusal).toMatchObject({ argument: 'manager' });
    expect((refusal as Error).message).toContain('manager is not inside an open transaction');
  });
});
