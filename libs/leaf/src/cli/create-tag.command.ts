import { MAX_ID } from '../store/leaf-store.js';
import { adminFor, bigintFlag, integerFlag, withConnection, type CliCommand } from './cli-command.js';
import { CliError } from './cli-errors.js';

/** `create-tag <tag>`: a new row, through `LeafAdmin.createTag` (its checks, its collation-aware conflict). */
export const createTagCommand: CliCommand = {
  name: 'create-tag',
  args: ['<tag>'],
  summary: 'Create a tag: its row in leaf_alloc, served by every node from its next call.',
  details: [
    'Exits 4 when the tag already has a row (or, under a case-insensitive collation, another spelling has one);',
    'the row is left as it is.',
  ],
  flags: {
    step: { type: 'string', value: 'n', help: 'the base step of the row (default 1000)' },
    description: { type: 'string', value: 'text', help: 'written to leaf_alloc.description (at most 256 characters)' },
    'max-id': { type: 'string', value: 'n', help: 'the first ID the tag hands out (default 1)' },
  },
  run: async (input) => {
    const bizTag = oneTag(input.positionals, 'create-tag <tag>');
    const step = integerFlag(input, 'step', 1, 2_147_483_647);
    const startAt = bigintFlag(input, 'max-id', 1n, MAX_ID - 1n) ?? 1n;
    const description = input.flags.description as string | undefined;
    return withConnection(input, async (connection) => {
      const admin = await adminFor(connection);
      await admin.createTag(bizTag, { step, description, startAt });
      const [row] = await connection.rows([bizTag]);
      return {
        json: { created: row },
        text: `Created "${bizTag}" in ${connection.store.location}: max_id ${row.maxId}, step ${row.step}.`,
      };
    });
  },
};

/** The one positional a command takes: the tag. */
export function oneTag(positionals: readonly string[], usage: string): string {
  if (positionals.length === 0) throw CliError.usage(`Missing the tag: ${usage}.`);
  if (positionals.length > 1) {
    throw CliError.usage(`One tag at a time: got ${positionals.map((p) => `"${p}"`).join(', ')} (${usage}).`);
  }
  return positionals[0];
}
