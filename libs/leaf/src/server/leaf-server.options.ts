import { describeValue } from '../errors/describe-value.js';
import { InvalidLeafOptionsError } from '../errors/invalid-leaf-options.error.js';
import { bizTagProblem, flagOption, integerOption, unknownKeyProblem } from '../leaf.options-validation.js';
import { InvalidLeafServerOptionsError } from './leaf-server-options.error.js';

/** One caller of the server: who it is, its bearer token, and what it may do. */
export interface LeafServerClient {
  /** Shown in logs and in the messages of refused requests, never the token. */
  readonly name: string;
  /**
   * The bearer token it sends (`Authorization: Bearer <token>`): at least 16 characters of visible ASCII, unique
   * among clients. Read it from the environment or a secret store, never from source. `undefined` is typed in so
   * that `process.env.BILLING_TOKEN` can be passed as it is; the module refuses it at bootstrap.
   */
  readonly token: string | undefined;
  /**
   * The tags it may use, or `'*'` for every tag. A tag covers its period rows too (`invoice` covers
   * `invoice:20261201`), which a client serving a period tag reserves from.
   */
  readonly tags: readonly string[] | '*';
  /** May create rows, insert rows and set steps (`createTags`, `insertTag`, `setStep`). Default false. */
  readonly admin?: boolean;
}

/** Options of `LeafServerModule.forRoot()` and of the factory of `forRootAsync()`. */
export interface LeafServerOptions {
  /**
   * Who may call the server. At least one, unless `anonymousGet` opens Leaf's GET route: a server of that route
   * alone (as Meituan Leaf's own) then refuses every other route with 401.
   */
  readonly clients: readonly LeafServerClient[];
  /**
   * Opens Leaf's own `GET /api/segment/get/:key` to callers that send no token, as Leaf's Java clients do: `true` for
   * every tag, or the list of tags that may be read so. Only that route: everything else always needs a token.
   * Default false.
   */
  readonly anonymousGet?: boolean | readonly string[];
  /**
   * How long a tag found to have no row is answered 404 from memory, so that a caller repeating a made-up name costs
   * the database one lookup per period. 0 turns the cache off. Default 5000 ms.
   */
  readonly unknownTagCacheMs?: number | string;
  /**
   * How many distinct tags without a row one client (or all anonymous callers together) may ask for per minute;
   * past it, a tag the server does not know yet is refused with 429 until the minute ends. Default 100.
   */
  readonly maxUnknownTagsPerMinute?: number | string;
}

/** A client after validation. */
export interface ResolvedLeafServerClient {
  readonly name: string;
  readonly token: string;
  /** null: every tag. */
  readonly tags: ReadonlySet<string> | null;
  readonly admin: boolean;
}

/** Options after defaults and validation. */
export interface ResolvedLeafServerOptions {
  readonly clients: readonly ResolvedLeafServerClient[];
  /** false: closed; null: every tag; else the tags anonymous callers may read. */
  readonly anonymousGet: false | ReadonlySet<string> | null;
  readonly unknownTagCacheMs: number;
  readonly maxUnknownTagsPerMinute: number;
}

/** A short token can be guessed: 16 characters of a random alphabet are ~96 bits and more. */
export const MIN_TOKEN_LENGTH = 16;
const OPTION_KEYS = ['clients', 'anonymousGet', 'unknownTagCacheMs', 'maxUnknownTagsPerMinute'];
const CLIENT_KEYS = ['name', 'token', 'tags', 'admin'];
/** What goes into an `Authorization` header unescaped: visible ASCII, no spaces. */
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

/**
 * Applies the defaults and checks every option; throws `InvalidLeafServerOptionsError` naming the first bad one.
 */
export function resolveLeafServerOptions(options: LeafServerOptions | undefined): ResolvedLeafServerOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidLeafServerOptionsError(
      'options',
      `expected an object with { clients }, got ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new InvalidLeafServerOptionsError(
        key,
        unknownKeyProblem(key, OPTION_KEYS, 'a LeafServerModule option', 'the options are'),
      );
    }
  }
  const anonymousGet = anonymousOption(options.anonymousGet);
  return {
    clients: resolveClients(options.clients, anonymousGet !== false),
    anonymousGet,
    unknownTagCacheMs: serverOption(() =>
      integerOption(options.unknownTagCacheMs ?? 5000, 'unknownTagCacheMs', 0, 3_600_000, 5000),
    ),
    maxUnknownTagsPerMinute: serverOption(() =>
      integerOption(options.maxUnknownTagsPerMinute ?? 100, 'maxUnknownTagsPerMinute', 1, 1_000_000, 100),
    ),
  };
}

/** `anonymous`: Leaf's GET is open, so a server without clients still serves it (and refuses every other route). */
function resolveClients(clients: unknown, anonymous: boolean): ResolvedLeafServerClient[] {
  if (!Array.isArray(clients) || (clients.length === 0 && !anonymous)) {
    throw new InvalidLeafServerOptionsError(
      'clients',
      `expected a non-empty array of { name, token, tags, admin? }, got ${describeValue(clients)}. Without a client ` +
        'nobody could reserve: list the services that call this server, each with a token of its own (an empty ' +
        "list is accepted only with anonymousGet, for a server of Leaf's GET route alone).",
    );
  }
  const resolved = clients.map((client: unknown, index) => resolveClient(client, `clients[${index}]`));
  const names = new Set<string>();
  const tokens = new Map<string, string>();
  for (const client of resolved) {
    if (names.has(client.name)) {
      throw new InvalidLeafServerOptionsError(
        'clients',
        `two clients are named "${client.name}"; names must be unique.`,
      );
    }
    names.add(client.name);
    const other = tokens.get(client.token);
    if (other !== undefined) {
      // A shared token would make a request's client (its tags, its admin right) ambiguous.
      throw new InvalidLeafServerOptionsError(
        'clients',
        `clients "${other}" and "${client.name}" have the same token; give each client a token of its own.`,
      );
    }
    tokens.set(client.token, client.name);
  }
  return resolved;
}

function resolveClient(client: unknown, where: string): ResolvedLeafServerClient {
  if (client === null || typeof client !== 'object' || Array.isArray(client)) {
    throw new InvalidLeafServerOptionsError(
      where,
      `expected { name, token, tags, admin? }, got ${describeValue(client)}`,
    );
  }
  const { name, token, tags, admin } = client as Record<string, unknown>;
  for (const key of Object.keys(client)) {
    if (!CLIENT_KEYS.includes(key)) {
      throw new InvalidLeafServerOptionsError(
        where,
        unknownKeyProblem(key, CLIENT_KEYS, 'a client key', 'a client has'),
      );
    }
  }
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw new InvalidLeafServerOptionsError(`${where}.name`, `expected a non-empty string, got ${describeValue(name)}`);
  }
  const label = `${where}.token (client "${name}")`;
  if (typeof token !== 'string') {
    throw new InvalidLeafServerOptionsError(
      label,
      `expected a string, got ${describeValue(token)}` +
        (token === undefined ? '. If it is read from the environment, is the variable set?' : ''),
    );
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new InvalidLeafServerOptionsError(
      label,
      `is ${token.length} characters long; a token needs at least ${MIN_TOKEN_LENGTH}. Generate one with ` +
        `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))".`,
    );
  }
  if (!TOKEN_CHARS.test(token)) {
    throw new InvalidLeafServerOptionsError(
      label,
      'must be visible ASCII with no spaces, as an HTTP header carries it.',
    );
  }
  return {
    name,
    token,
    tags: tagsOption(tags, `${where}.tags (client "${name}")`),
    admin: admin === undefined ? false : serverOption(() => flagOption(admin, `${where}.admin`)),
  };
}

/** `'*'` (null) or a non-empty list of valid tags. */
function tagsOption(tags: unknown, label: string): ReadonlySet<string> | null {
  if (tags === '*') return null;
  if (!Array.isArray(tags) || tags.length === 0) {
    throw new InvalidLeafServerOptionsError(
      label,
      `expected '*' (every tag) or a non-empty array of tags, got ${describeValue(tags)}`,
    );
  }
  for (const tag of tags) {
    const problem = bizTagProblem(tag);
    if (problem !== undefined) throw new InvalidLeafServerOptionsError(label, problem);
  }
  return new Set(tags as string[]);
}

function anonymousOption(value: unknown): false | ReadonlySet<string> | null {
  if (value === undefined || value === false) return false;
  if (value === true) return null;
  if (Array.isArray(value)) return tagsOption(value, 'anonymousGet');
  throw new InvalidLeafServerOptionsError(
    'anonymousGet',
    `expected true, false or an array of tags, got ${describeValue(value)}`,
  );
}

/** Runs a shared validator, re-throwing its error as this module's. */
function serverOption<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof InvalidLeafOptionsError) throw new InvalidLeafServerOptionsError(error.option, error.problem);
    throw error;
  }
}
