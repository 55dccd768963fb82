import { describe, expect, it } from '@jest/globals';
import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InvalidArgumentError } from './errors/invalid-argument.error.js';
import { InvalidLeafOptionsError } from './errors/invalid-leaf-options.error.js';
import { UnknownBizTagError } from './errors/unknown-biz-tag.error.js';
import { IdGenerator } from './id-generator.js';
import { LeafModule } from './leaf.module.js';
import { InMemoryLeafStore } from './testing/in-memory-leaf.store.js';

@Injectable()
class Invoices {
  constructor(@Inject(IdGenerator) readonly ids: IdGenerator) {}
}

@Module({
  imports: [
    LeafModule.forFeature({ bizTags: [{ tag: 'invoice', step: 10, period: 'day', format: 'I{yyyy}{MM}{dd}-{seq}' }] }),
  ],
  providers: [Invoices],
  exports: [Invoices],
})
class InvoicesModule {}

@Module({ imports: [LeafModule.forFeature({ bizTags: ['refund'] })] })
class RefundsModule {}

@Module({ imports: [LeafModule.forFeature({ bizTags: [{ tag: 'credit-note', gapless: true }] })] })
class CreditNotesModule {}

/** Compiles and starts an app of `imports`; resolves to it, or rejects with what stopped it. */
async function boot(...imports: Array<NonNullable<Parameters<typeof Test.createTestingModule>[0]['imports']>[number]>) {
  const moduleRef = await Test.createTestingModule({ imports }).compile();
  return moduleRef.init();
}

describe('LeafModule.forRoot once, forFeature where a feature needs more', () => {
  it("serves every feature's tags from the one generator, from startup on", async () => {
    const store = new InMemoryLeafStore();
    const app = await boot(LeafModule.forRoot({ bizTags: ['order'], store, step: 10 }), InvoicesModule, RefundsModule);
    const ids = app.get(IdGenerator);
    expect(app.get(Invoices).ids).toBe(ids);
    expect(await ids.nextId('order')).toBe(1n);
    expect(await ids.nextId('refund')).toBe(1n);
    expect(await ids.nextCode('invoice')).toMatch(/^I\d{8}-1$/);
    expect([...store.rows.keys()].sort()).toEqual([expect.stringMatching(/^invoice:\d{8}$/), 'order', 'refund']);
    expect(
      ids
        .inspect()
        .filter((s) => s.configured)
        .map((s) => s.tag)
        .sort(),
    ).toEqual(['invoice', 'order', 'refund']);
    await app.close();
  });

  it('refuses a second forRoot in one application, pointing to forFeature', async () => {
    const error = await boot(
      LeafModule.forRoot({ bizTags: ['order'], store: new InMemoryLeafStore() }),
      LeafModule.forRoot({ bizTags: ['invoice'], store: new InMemoryLeafStore() }),
    ).then(
      () => undefined,
      (refused: unknown) => refused,
    );
    expect(error).toBeInstanceOf(InvalidLeafOptionsError);
    expect((error as Error).message).toMatch(/imported twice in this application.*LeafModule\.forFeature/);
  });

  it('refuses a tag configured twice, and a bad feature entry where the feature is built', async () => {
    const error = await boot(
      LeafModule.forRoot({ bizTags: ['refund'], store: new InMemoryLeafStore() }),
      RefundsModule,
    ).then(
      () => undefined,
      (refused: unknown) => refused,
    );
    expect(error).toBeInstanceOf(InvalidLeafOptionsError);
    expect(error).toMatchObject({ option: 'forFeature bizTags[0].tag' });
    expect((error as Error).message).toMatch(/"refund" is configured already/);
    expect(() => LeafModule.forFeature({ bizTags: [{ tag: 'x', stpe: 1 } as never] })).toThrow(/did you mean "step"/);
  });

  it("knows a feature's gapless series: never served from segments, asked for a transaction rather than unknown", async () => {
    const store = new InMemoryLeafStore();
    const app = await boot(LeafModule.forRoot({ bizTags: ['order'], store }), CreditNotesModule);
    const ids = app.get(IdGenerator);
    await expect(ids.nextId('credit-note')).rejects.toBeInstanceOf(InvalidArgumentError);
    const outsideTransaction = await ids.nextGapless('credit-note', {} as never).catch((error: unknown) => error);
    expect(outsideTransaction).toBeInstanceOf(InvalidArgumentError);
    await expect(ids.nextGapless('credit-notes', {} as never)).rejects.toBeInstanceOf(UnknownBizTagError);
    expect(store.rows.has('credit-note')).toBe(false);
    await app.close();
  });
});
