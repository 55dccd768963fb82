import { LEAF_API_PREFIX, leafRoutePath, type InspectBody } from '../protocol/leaf-protocol.js';
import type { CliCommand } from './cli-command.js';
import { CliError } from './cli-errors.js';
import { table } from './cli-output.js';

/** How long `inspect` waits for the app. */
const TIMEOUT_MS = 10_000;

/**
 * `inspect --url <base>`: what a running app holds per tag, through `nest-leaf/server`'s admin route
 * (`GET /api/segment/inspect`), or with `--health <url>` through the details of `nest-leaf/health`'s indicator.
 * Reads only: nothing is reserved.
 */
export const inspectCommand: CliCommand = {
  name: 'inspect',
  args: [],
  summary: "A running app's snapshot per tag: segments in memory, IDs left, health (reads only).",
  details: [
    "--url <base> reads GET <base>/api/segment/inspect of an ID server (nest-leaf/server) with an admin client's",
    'token (--token, else NEST_LEAF_TOKEN); it lists the tags that client reaches.',
    "--health <url> reads an app's health endpoint instead (nest-leaf/health; any status, 503 included): per tag",
    'its health, IDs in memory and runway, without segments.',
  ],
  flags: {
    token: { type: 'string', value: 'token', help: "an admin client's bearer token (default: NEST_LEAF_TOKEN)" },
    health: { type: 'string', value: 'url', help: "an app's health URL, read instead of the server's route" },
  },
  run: async (input) => {
    if (input.positionals.length > 0)
      throw CliError.usage('inspect takes no argument: --url <base> or --health <url>.');
    const health = input.flags.health as string | undefined;
    const base = input.flags.url as string | undefined;
    if ((health === undefined) === (base === undefined)) {
      throw CliError.usage('inspect needs one of --url <base> (an ID server) or --health <url> (a health endpoint).');
    }
    return health === undefined ? fromServer(base!, input.flags.token as string | undefined) : fromHealth(health);
  },
};

async function fromServer(base: string, flagToken: string | undefined) {
  const token = flagToken ?? process.env.NEST_LEAF_TOKEN;
  if (token === undefined || token === '') {
    throw CliError.usage("inspect --url needs an admin client's token: --token <token> or NEST_LEAF_TOKEN.");
  }
  const url = `${base.replace(/\/+$/, '')}/${LEAF_API_PREFIX}${leafRoutePath('inspect')}`;
  const response = await get(url, { authorization: `Bearer ${token}` });
  const body = (await response.json().catch(() => null)) as (InspectBody & { message?: string }) | null;
  if (response.status === 401 || response.status === 403) {
    throw CliError.connection(`${url} refused the token (${response.status}): ${body?.message ?? ''}`.trim());
  }
  if (response.status === 404) {
    throw CliError.unsupported(
      `${url} answered 404: the app serves no nest-leaf/server of this version. Read its health instead ` +
        '(inspect --health <url>), if it has nest-leaf/health.',
    );
  }
  if (!response.ok || body === null || !Array.isArray(body.tags)) {
    throw CliError.connection(`${url} answered ${response.status} without a snapshot: ${body?.message ?? ''}`.trim());
  }
  const span = (r: { start: string; end: string } | null) => (r === null ? '-' : `[${r.start}, ${r.end})`);
  const text = [
    `${base}: generator ${body.running ? 'running' : 'not running'}, ${body.tags.length} tag(s)`,
    table(
      ['TAG', 'ROW', 'HEALTH', 'AVAILABLE', 'CURRENT', 'NEXT', 'STEP', 'ISSUED', 'RUNWAY_MS'],
      body.tags.map((t) => [
        t.tag,
        t.row,
        `${t.health.status} (${t.health.reason})`,
        t.available,
        span(t.current),
        span(t.next),
        String(t.step),
        String(t.idsIssued),
        t.runwayMs === null ? '-' : String(t.runwayMs),
      ]),
    ),
  ].join('\n');
  return { json: { url: base, source: 'server', ...body }, text };
}

/** The `leaf` indicator's details in a Terminus health body: under `details`, whatever the status. */
interface HealthTags {
  readonly running?: boolean;
  readonly tags?: Record<string, { status: string; reason: string; available: string; runwayMs: number | null }>;
}

async function fromHealth(url: string) {
  const response = await get(url, {});
  const body = (await response.json().catch(() => null)) as { details?: Record<string, HealthTags> } | null;
  const leaf = Object.values(body?.details ?? {}).find((detail) => typeof detail?.tags === 'object');
  if (leaf?.tags === undefined) {
    throw CliError.unsupported(
      `${url} answered ${response.status} with no nest-leaf indicator in its details: is it the health endpoint of ` +
        'an app that checks LeafHealthIndicator (nest-leaf/health)?',
    );
  }
  const tags = Object.entries(leaf.tags).map(([tag, t]) => ({ tag, ...t }));
  const text = [
    `${url}: generator ${leaf.running === false ? 'not running' : 'running'}, ${tags.length} tag(s)`,
    table(
      ['TAG', 'HEALTH', 'AVAILABLE', 'RUNWAY_MS'],
      tags.map((t) => [
        t.tag,
        `${t.status} (${t.reason})`,
        t.available,
        t.runwayMs === null ? '-' : String(t.runwayMs),
      ]),
    ),
  ].join('\n');
  return { json: { url, source: 'health', running: leaf.running !== false, tags }, text };
}

async function get(url: string, headers: Record<string, string>): Promise<Response> {
  try {
    return await fetch(url, {
      headers: { accept: 'application/json', ...headers },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw CliError.connection(
      `Could not reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      error,
    );
  }
}
