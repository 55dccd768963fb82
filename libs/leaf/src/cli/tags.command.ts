import type { CliCommand } from './cli-command.js';
import { withConnection } from './cli-command.js';
import { table } from './cli-output.js';

/** `tags`: every row of `leaf_alloc` (period rows included), read through the store and the backend. */
export const tagsCommand: CliCommand = {
  name: 'tags',
  args: [],
  summary: 'List every tag: max_id, step, description, last update (period rows included).',
  details: [
    'max_id is the first ID no node owns yet: nodes may still hold IDs below it in memory (see inspect).',
    'The failover marker of a fenced store is no tag and is not listed.',
  ],
  flags: {},
  run: (input) =>
    withConnection(input, async (connection) => {
      const tags = (await connection.store.listTags()).map((row) => row.bizTag).sort();
      const rows = await connection.rows(tags);
      const text =
        rows.length === 0
          ? `No tags in ${connection.store.location ?? connection.shown}.`
          : table(
              ['TAG', 'MAX_ID', 'STEP', 'UPDATED', 'DESCRIPTION'],
              rows.map((row) => [row.bizTag, row.maxId, String(row.step), row.updatedAt ?? '-', row.description ?? '']),
            );
      return { json: { connection: connection.shown, tags: rows }, text };
    }),
};
