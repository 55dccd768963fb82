import type { ConfigService } from '@nestjs/config';

/** The database engines the demo runs on. */
export const DB_TYPES = ['sqlite', 'mysql', 'postgres'] as const;
export type DbType = (typeof DB_TYPES)[number];

/** The demo's configuration, after validation of the environment (see `validateEnvironment`). */
export interface DemoConfig {
  readonly http: {
    readonly port: number;
    /** How long shutdown waits for in-flight requests before closing the generator and the database. */
    readonly shutdownTimeoutMs: number;
  };
  readonly database:
    | { readonly type: 'sqlite'; readonly path: string }
    | {
        readonly type: 'mysql' | 'postgres';
        readonly host: string;
        readonly port: number;
        readonly user: string;
        readonly password: string;
        readonly name: string;
      };
  readonly leaf: {
    readonly step: number;
    readonly threshold: number;
  };
  readonly admin: {
    /** The bearer token of the admin endpoints; `null` turns them off (they answer 403). */
    readonly token: string | null;
    /** Admin requests one client IP may make per minute, wrong tokens included. */
    readonly rateLimitPerMinute: number;
  };
}

/** `ConfigService` over the validated `DemoConfig`: `config.get('leaf', { infer: true })`. */
export type DemoConfigService = ConfigService<DemoConfig, true>;

/** Every default of the demo, in one place. Each key is the environment variable that overrides it. */
export const DEMO_DEFAULTS = {
  PORT: 3000,
  SHUTDOWN_TIMEOUT_MS: 10_000,
  DB_TYPE: 'sqlite',
  SQLITE_PATH: 'data/demo.sqlite',
  DB_HOST: '127.0.0.1',
  DB_PORT: { mysql: 3306, postgres: 5432 },
  DB_USER: { mysql: 'root', postgres: 'postgres' },
  DB_PASSWORD: '',
  DB_NAME: 'leaf_demo',
  LEAF_STEP: 1000,
  LEAF_THRESHOLD: 0.2,
  /** No default: a token everyone can read in the sources is no secret. Unset (or empty), the admin API is off. */
  ADMIN_TOKEN: null,
  ADMIN_RATE_LIMIT: 10,
} as const;

/** Shortest accepted ADMIN_TOKEN: 16 random characters are beyond guessing at ADMIN_RATE_LIMIT tries a minute. */
export const ADMIN_TOKEN_MIN_LENGTH = 16;

/** The biz tags the demo serves; their `leaf_alloc` rows are created at startup when missing. */
export const BIZ_TAGS = { order: 'order', user: 'user' } as const;
