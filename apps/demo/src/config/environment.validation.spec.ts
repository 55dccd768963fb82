import { describe, expect, it } from '@jest/globals';
import { DEMO_DEFAULTS } from './demo.config.js';
import { InvalidEnvironmentError, validateEnvironment } from './environment.validation.js';

const DEFAULT_ORDERS = { urlSecret: DEMO_DEFAULTS.ORDER_URL_SECRET, urlSecretIsDefault: true };

describe('validateEnvironment', () => {
  it('applies the defaults to an empty environment: SQLite in data/demo.sqlite on port 3000', () => {
    expect(validateEnvironment({})).toEqual({
      http: { platform: 'fastify', port: 3000, shutdownTimeoutMs: 10_000 },
      database: { type: 'sqlite', path: 'data/demo.sqlite' },
      leaf: { step: 1000, threshold: 0.2, timeZone: 'UTC' },
      orders: DEFAULT_ORDERS,
      admin: { token: null, rateLimitPerMinute: 10 },
      leafServer: { clientToken: null },
      production: false,
    });
  });

  it("reads a MySQL configuration, with the engine's default port and user", () => {
    expect(
      validateEnvironment({
        HTTP_PLATFORM: 'Express',
        DB_TYPE: 'MySQL',
        DB_HOST: 'mysql',
        DB_PASSWORD: '',
        LEAF_STEP: '500',
        LEAF_THRESHOLD: '0.5',
      }),
    ).toEqual({
      http: { platform: 'express', port: 3000, shutdownTimeoutMs: 10_000 },
      database: { type: 'mysql', host: 'mysql', port: 3306, user: 'root', password: '', name: 'leaf_demo' },
      leaf: { step: 500, threshold: 0.5, timeZone: 'UTC' },
      orders: DEFAULT_ORDERS,
      admin: { token: null, rateLimitPerMinute: 10 },
      leafServer: { clientToken: null },
      production: false,
    });
    expect(validateEnvironment({ DB_TYPE: 'postgres' }).database).toEqual(
      expect.objectContaining({ type: 'postgres', port: 5432, user: 'postgres' }),
    );
  });

  it('names every bad variable, with the rule and the value it got', () => {
    const attempt = () =>
      validateEnvironment({
        DB_TYPE: 'oracle',
        PORT: 'eighty',
        LEAF_STEP: '0',
        LEAF_THRESHOLD: '1.5',
        SHUTDOWN_TIMEOUT_MS: '-1',
      });
    expect(attempt).toThrow(InvalidEnvironmentError);
    expect(attempt).toThrow(
      [
        'Invalid environment:',
        '  - DB_TYPE must be one of sqlite, mysql, postgres, got "oracle".',
        '  - PORT must be an integer from 0 to 65535, got "eighty".',
        '  - SHUTDOWN_TIMEOUT_MS must be an integer from 0 to 600000, got "-1".',
        '  - LEAF_STEP must be an integer from 1 to 1000000, got "0".',
        '  - LEAF_THRESHOLD must be a number greater than 0 and at most 1, got "1.5".',
      ].join('\n'),
    );
  });

  it('checks the server variables of MySQL and PostgreSQL', () => {
    expect(() =>
      validateEnvironment({ DB_TYPE: 'postgres', DB_PORT: '70000', DB_HOST: ' ', DB_NAME: 'demo; DROP' }),
    ).toThrow(
      /DB_HOST must not be empty.*\n.*DB_PORT must be an integer from 1 to 65535, got "70000"\.\n.*DB_NAME must be a database name/,
    );
  });

  it('refuses an empty SQLITE_PATH', () => {
    expect(() => validateEnvironment({ SQLITE_PATH: '' })).toThrow(
      'SQLITE_PATH must not be empty (unset it to use the default), got "".',
    );
  });

  it('reads ADMIN_TOKEN and ADMIN_RATE_LIMIT; an empty ADMIN_TOKEN leaves the admin API off', () => {
    const token = 'f3a9c1d27b6e4085a1c9e2d3b4f5a6c7';
    expect(validateEnvironment({ ADMIN_TOKEN: token, ADMIN_RATE_LIMIT: '30' }).admin).toEqual({
      token,
      rateLimitPerMinute: 30,
    });
    expect(validateEnvironment({ ADMIN_TOKEN: '' }).admin.token).toBeNull();
  });

  it('refuses a short or unusable ADMIN_TOKEN without ever showing it, and a bad ADMIN_RATE_LIMIT', () => {
    const attempt = (env: Record<string, string>) => () => validateEnvironment(env);
    expect(attempt({ ADMIN_TOKEN: 'short-secret' })).toThrow(
      'ADMIN_TOKEN must be at least 16 characters, only letters, digits and - . _ ~ + / (generate one with: openssl rand -hex 32), got 12 characters (the value is not shown).',
    );
    for (const token of ['a secret with spaces in it', 'quote"d-and-long-enough', 'ünïcödé-long-enough-token']) {
      expect(attempt({ ADMIN_TOKEN: token })).toThrow('got other characters (the value is not shown).');
      expect(attempt({ ADMIN_TOKEN: token })).not.toThrow(token);
    }
    expect(attempt({ ADMIN_RATE_LIMIT: '0' })).toThrow('ADMIN_RATE_LIMIT must be an integer from 1 to 10000, got "0".');
  });

  it("reads LEAF_SERVER_TOKEN, the ID server's client token, refusing a short one as the library would", () => {
    const token = 'c0ffee0123456789abcdef0123456789';
    expect(validateEnvironment({ LEAF_SERVER_TOKEN: token }).leafServer).toEqual({ clientToken: token });
    expect(validateEnvironment({ LEAF_SERVER_TOKEN: '' }).leafServer.clientToken).toBeNull();
    expect(() => validateEnvironment({ LEAF_SERVER_TOKEN: 'short-secret' })).toThrow(
      'LEAF_SERVER_TOKEN must be at least 16 characters, only letters, digits and - . _ ~ + / (generate one with: openssl rand -hex 32), got 12 characters (the value is not shown).',
    );
  });

  it('reads LEAF_TIME_ZONE as given (the library checks the zone at bootstrap), refusing an empty one', () => {
    expect(validateEnvironment({ LEAF_TIME_ZONE: 'Asia/Shanghai' }).leaf.timeZone).toBe('Asia/Shanghai');
    expect(() => validateEnvironment({ LEAF_TIME_ZONE: ' ' })).toThrow(
      'LEAF_TIME_ZONE must not be empty (unset it to use the default), got " ".',
    );
  });

  it('reads ORDER_URL_SECRET, or takes the development secret when it is unset or empty', () => {
    const secret = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdl';
    expect(validateEnvironment({ ORDER_URL_SECRET: secret }).orders).toEqual({
      urlSecret: secret,
      urlSecretIsDefault: false,
    });
    expect(validateEnvironment({ ORDER_URL_SECRET: '' }).orders).toEqual(DEFAULT_ORDERS);
    expect(DEMO_DEFAULTS.ORDER_URL_SECRET).toMatch(/development-only/);
  });

  it('refuses a short or blank ORDER_URL_SECRET without showing it', () => {
    for (const secret of ['fifteen-chars!!', ' '.repeat(20)]) {
      const attempt = () => validateEnvironment({ ORDER_URL_SECRET: secret });
      expect(attempt).toThrow(
        `ORDER_URL_SECRET must be at least 16 characters, not all white space (generate one with: openssl rand -base64 32), got ${secret.length} characters (the value is not shown).`,
      );
    }
    // Counted in characters, as OpaqueIdCodec counts them: 15 emoji are 30 UTF-16 units, still too short.
    expect(() => validateEnvironment({ ORDER_URL_SECRET: '🔑'.repeat(15) })).toThrow('got 15 characters');
  });

  it('knows production from NODE_ENV', () => {
    expect(validateEnvironment({ NODE_ENV: 'production' }).production).toBe(true);
    expect(validateEnvironment({ NODE_ENV: 'development' }).production).toBe(false);
  });
});
