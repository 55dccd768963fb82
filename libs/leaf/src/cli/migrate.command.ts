import { withConnection, type CliCommand } from './cli-command.js';
import { CliError } from './cli-errors.js';

/** `migrate`: the library's own TypeORM migrations, run once, outside any app (idempotent). */
export const migrateCommand: CliCommand = {
  name: 'migrate',
  args: [],
  summary: 'Create leaf_alloc as LeafAllocMigration does (CREATE TABLE IF NOT EXISTS); safe to run again.',
  details: [
    "It runs the migration's own statement, serialized between concurrent runs as the app's migration is, and",
    "records nothing in TypeORM's migrations table: an app listing LeafAllocMigration later finds the table.",
    'A SQLite file that does not exist is created. On Redis there is nothing to create.',
  ],
  flags: {
    gapless: { type: 'boolean', help: 'create leaf_gapless too (LeafGaplessMigration), for gapless series' },
  },
  run: async (input) => {
    if (input.positionals.length > 0) throw CliError.usage('migrate takes no argument.');
    return withConnection(
      input,
      async (connection) => {
        const outcome = await connection.migrate(input.flags.gapless === true);
        const where = connection.shown;
        const text = connection.store.engine.startsWith('redis')
          ? `Nothing to create on Redis (${where}): a tag's hash is written by its first reservation.`
          : [
              ...outcome.created.map((table) => `Created ${table} in ${where}.`),
              ...outcome.existing.map((table) => `${table} exists already in ${where}: left as it is.`),
            ].join('\n');
        return { json: { connection: where, ...outcome }, text };
      },
      { create: true },
    );
  },
};
