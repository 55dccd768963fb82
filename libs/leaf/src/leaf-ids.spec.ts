import { afterEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import { leafIds } from './leaf-ids.js';
import { LeafTestingModule } from './testing/leaf-testing.module.js';

describe('leafIds', () => {
  const apps: TestingModule[] = [];
  const start = async (): Promise<TestingModule> => {
    const app = await Test.createTestingModule({
      imports: [LeafTestingModule.forRoot({ bizTags: ['order'] })],
    }).compile();
    await app.init();
    apps.push(app);
    return app;
  };

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  it('takes from the running generator, and refuses before it starts and after it closes', async () => {
    expect(() => leafIds.sync('order')).toThrow(LeafUnavailableError);
    const app = await start();
    expect(leafIds.sync('order')).toBe(1n);
    expect(leafIds.syncMany('order', 2)).toEqual([2n, 3n]);
    await app.close();
    apps.length = 0;
    expect(() => leafIds.sync('order')).toThrow(/no LeafModule has started/);
  });

  it('refuses to pick one of two running generators', async () => {
    await start();
    await start();
    expect(() => leafIds.sync('order')).toThrow(/2 run here: inject IdGenerator/);
  });
});
