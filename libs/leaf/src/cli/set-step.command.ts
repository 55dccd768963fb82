import { adminFor, integerValue, withConnection, type CliCommand } from './cli-command.js';
import { CliError } from './cli-errors.js';

/** `set-step <tag> <step>`: through `LeafAdmin.setStep`, which never touches `max_id`. */
export const setStepCommand: CliCommand = {
  name: 'set-step',
  args: ['<tag>', '<step>'],
  summary: "Change a tag's base step; max_id is left alone, so no ID is skipped or repeated.",
  details: [
    'Running nodes apply it from their next reservation after their tag refresh (tagRefreshIntervalMs, 60 s).',
    'With dynamicStep on, the base step is a floor: a step the load has grown past it stays.',
    'Exits 4 when the tag has no row.',
  ],
  flags: {},
  run: async (input) => {
    if (input.positionals.length !== 2) {
      throw CliError.usage(
        `set-step takes a tag and a step (set-step <tag> <step>), got ${input.positionals.length} value(s).`,
      );
    }
    const [bizTag, raw] = input.positionals;
    const step = integerValue(raw, 'The step', 1, 2_147_483_647);
    return withConnection(input, async (connection) => {
      const before = (await connection.rows([bizTag]))[0];
      const admin = await adminFor(connection);
      await admin.setStep(bizTag, step);
      const [row] = await connection.rows([bizTag]);
      return {
        json: { bizTag, previousStep: before?.step ?? null, step: row.step, maxId: row.maxId },
        text: `Step of "${bizTag}": ${before?.step ?? '?'} -> ${row.step} (max_id ${row.maxId} unchanged).`,
      };
    });
  },
};
