import { describe, expect, it } from '@jest/globals';
import type { LeafStore } from '../store/leaf-store.js';
import type { CliConnection } from './cli-connection.js';
import { EXIT } from './cli-errors.js';
import { fenceCommand } from './fence.command.js';

describe('fence on a store without failover fencing', () => {
  it('exits 5 with a message naming the store, and closes the connection', async () => {
    let closed = false;
    const store = { engine: 'custom', location: 'leaf_alloc in the custom store' } as LeafStore;
    const connection: CliConnection = {
      store,
      shown: 'custom://x',
      rows: async () => [],
      migrate: async () => ({ created: [], existing: [] }),
      close: async () => void (closed = true),
    };
    const run = fenceCommand.run({ positionals: [], flags: {}, verbose: false, connect: async () => connection });
    await expect(run).rejects.toMatchObject({
      exitCode: EXIT.unsupported,
      code: 'CLI_UNSUPPORTED',
      message: expect.stringMatching(/^leaf_alloc in the custom store cannot be fenced: .*Nothing was changed\.$/),
    });
    expect(closed).toBe(true);
  });
});
