import { MIN_TOKEN_LENGTH } from 'nest-leaf/server';
import {
  ADMIN_TOKEN_MIN_LENGTH,
  DB_TYPES,
  DEMO_DEFAULTS,
  HTTP_PLATFORMS,
  ORDER_URL_SECRET_MIN_LENGTH,
  type DemoConfig,
} from './demo.config.js';

type Environment = Record<string, string | undefined>;

/** Thrown at startup when an environment variable is unusable; the message names every bad variable. */
export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid environment:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/**
 * The `validate` function of `ConfigModule.forRoot()`: reads the demo's variables from the environment, applies
 * `DEMO_DEFAULTS`, and throws `InvalidEnvironmentError` listing every variable it cannot use.
 */
export function validateEnvironment(env: Environment): DemoConfig {
  const problems: string[] = [];
  const read = new Reader(env, problems);

  const type = read.oneOf('DB_TYPE', DB_TYPES, DEMO_DEFAULTS.DB_TYPE);
  const http = {
    platform: read.oneOf('HTTP_PLATFORM', HTTP_PLATFORMS, DEMO_DEFAULTS.HTTP_PLATFORM),
    port: read.integer('PORT', DEMO_DEFAULTS.PORT, 0, 65_535),
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', DEMO_DEFAULTS.SHUTDOWN_TIMEOUT_MS, 0, 600_000),
  };
  const leaf = {
    step: read.integer('LEAF_STEP', DEMO_DEFAULTS.LEAF_STEP, 1, 1_000_000),
    threshold: read.fraction('LEAF_THRESHOLD', DEMO_DEFAULTS.LEAF_THRESHOLD),
    // Whether the runtime knows the zone is the library's to say, at bootstrap (InvalidLeafOptionsError).
    timeZone: read.text('LEAF_TIME_ZONE', DEMO_DEFAULTS.LEAF_TIME_ZONE),
  };
  const urlSecret = read.secret('ORDER_URL_SECRET', ORDER_URL_SECRET_MIN_LENGTH);
  const orders = {
    urlSecret: urlSecret ?? DEMO_DEFAULTS.ORDER_URL_SECRET,
    urlSecretIsDefault: urlSecret === null,
  };
  const admin = {
    token: read.bearerToken('ADMIN_TOKEN', ADMIN_TOKEN_MIN_LENGTH),
    rateLimitPerMinute: read.integer('ADMIN_RATE_LIMIT', DEMO_DEFAULTS.ADMIN_RATE_LIMIT, 1, 10_000),
  };
  // The library's own minimum, so the demo refuses what LeafServerModule would, in the environment's words.
  const leafServer = { clientToken: read.bearerToken('LEAF_SERVER_TOKEN', MIN_TOKEN_LENGTH) };
  const database: DemoConfig['database'] =
    type === 'sqlite'
      ? { type, path: read.text('SQLITE_PATH', DEMO_DEFAULTS.SQLITE_PATH) }
      : {
          type,
          host: read.text('DB_HOST', DEMO_DEFAULTS.DB_HOST),
          port: read.integer('DB_PORT', DEMO_DEFAULTS.DB_PORT[type], 1, 65_535),
          user: read.text('DB_USER', DEMO_DEFAULTS.DB_USER[type]),
          password: read.text('DB_PASSWORD', DEMO_DEFAULTS.DB_PASSWORD, { allowEmpty: true }),
          name: read.identifier('DB_NAME', DEMO_DEFAULTS.DB_NAME),
        };

  if (problems.length > 0) throw new InvalidEnvironmentError(problems);
  return { http, database, leaf, orders, admin, leafServer, production: env.NODE_ENV === 'production' };
}

/** Reads variables, recording a problem (and returning the default) for each unusable one. */
class Reader {
  constructor(
    private readonly env: Environment,
    private readonly problems: string[],
  ) {}

  text(name: string, fallback: string, { allowEmpty = false } = {}): string {
    const value = this.env[name];
    if (value === undefined) return fallback;
    if (!allowEmpty && value.trim() === '')
      return this.fail(name, 'must not be empty (unset it to use the default)', value, fallback);
    return value;
  }

  identifier(name: string, fallback: string): string {
    const value = this.text(name, fallback);
    if (!/^[A-Za-z0-9_$-]{1,63}$/.test(value)) {
      return this.fail(
        name,
        'must be a database name of letters, digits, _, $ or -, at most 63 characters',
        value,
        fallback,
      );
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.env[name];
    if (value === undefined || value === '') return fallback;
    const match = allowed.find((candidate) => candidate === value.trim().toLowerCase());
    return match ?? this.fail(name, `must be one of ${allowed.join(', ')}`, value, fallback);
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.env[name];
    if (value === undefined || value === '') return fallback;
    const number = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      return this.fail(name, `must be an integer from ${min} to ${max}`, value, fallback);
    }
    return number;
  }

  fraction(name: string, fallback: number): number {
    const value = this.env[name];
    if (value === undefined || value === '') return fallback;
    const number = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(value) ? Number(value) : NaN;
    if (!(number > 0 && number <= 1))
      return this.fail(name, 'must be a number greater than 0 and at most 1', value, fallback);
    return number;
  }

  /**
   * A bearer token, or null when unset or empty. A problem with it states its length, never its value, since
   * problems end up in logs.
   */
  bearerToken(name: string, minLength: number): string | null {
    const value = this.env[name];
    if (value === undefined || value === '') return null;
    // RFC 6750's token68: what fits in "Authorization: Bearer <token>" without quoting.
    const usable = /^[A-Za-z0-9._~+/-]+=*$/.test(value);
    if (!usable || value.length < minLength) {
      this.problems.push(
        `${name} must be at least ${minLength} characters, only letters, digits and - . _ ~ + / ` +
          `(generate one with: openssl rand -hex 32), got ${usable ? `${value.length} characters` : 'other characters'} (the value is not shown).`,
      );
      return null;
    }
    return value;
  }

  /** A secret of any characters; like `bearerToken`, a problem states its length only. Unset or empty: null. */
  secret(name: string, minLength: number): string | null {
    const value = this.env[name];
    if (value === undefined || value === '') return null;
    // Counted as OpaqueIdCodec counts it: in code points.
    const length = [...value].length;
    if (length < minLength || value.trim() === '') {
      this.problems.push(
        `${name} must be at least ${minLength} characters, not all white space (generate one with: openssl rand -base64 32), ` +
          `got ${length} characters (the value is not shown).`,
      );
      return null;
    }
    return value;
  }

  private fail<T>(name: string, rule: string, value: string, fallback: T): T {
    this.problems.push(`${name} ${rule}, got ${JSON.stringify(value)}.`);
    return fallback;
  }
}
