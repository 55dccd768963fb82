import { adminFor, integerFlag, withConnection, type CliCommand } from './cli-command.js';
import { CliError } from './cli-errors.js';
import { cliOptions } from './cli-options.js';

/**
 * `fence`: the failover fence, for an HA tool's promotion hook (Patroni `on_role_change`, orchestrator, Sentinel's
 * `client-reconfig-script`) or a person, through `LeafAdmin.fence`: when the server the store runs on is not the one
 * its marker names, every row moves ahead by the skip. Idempotent: a second run moves nothing and exits 0 too.
 */
export const fenceCommand: CliCommand = {
  name: 'fence',
  args: [],
  summary: 'After a failover: move every row (period rows included) ahead by the skip, once per promotion.',
  details: [
    'Run it from the promotion hook of the HA tool, before traffic reaches the promoted server. When the store was',
    'fenced for this server already (by a node, or an earlier run) it moves nothing: safe to run again.',
    'The skip covers what the reservations the failover lost may have handed out: the app default is',
    '10 x maxStep (10,000,000). Rows of tags the app gives a failoverSkip of their own get --skip here too.',
    'Exits 5 on a store that cannot be fenced (its store has no failover fence), changing nothing.',
  ],
  flags: {
    skip: {
      type: 'string',
      value: 'n',
      help: `IDs each row moves ahead (default ${cliOptions().failoverSkip})`,
    },
  },
  run: async (input) => {
    if (input.positionals.length > 0) throw CliError.usage(`fence takes no tag: it fences every row.`);
    const skip = integerFlag(input, 'skip', 1, Number.MAX_SAFE_INTEGER) ?? cliOptions().failoverSkip;
    return withConnection(input, async (connection) => {
      const { store } = connection;
      if (typeof store.fence !== 'function') {
        throw CliError.unsupported(
          `${store.location ?? store.engine} cannot be fenced: this version's ${store.engine} store has no failover ` +
            'fence. Nothing was changed.',
        );
      }
      const admin = await adminFor(connection);
      const outcome = await admin.fence({ skip });
      const where = store.location ?? connection.shown;
      const text = outcome.fenced
        ? `Fenced ${where}: ${outcome.rows} row(s) moved ahead by ${skip} IDs. Was fenced for ` +
          `${outcome.previous ?? 'no server'}; now fenced for ${outcome.identity}.`
        : // Not fenced: the marker named this server already, or there was none (a new table gets one).
          `Nothing to fence in ${where}: it is fenced for ${outcome.identity}, the server it runs on. 0 rows moved.`;
      return { json: { connection: connection.shown, skip, ...outcome }, text };
    });
  },
};
