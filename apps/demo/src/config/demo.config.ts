import type { ConfigService } from '@nestjs/config';

/** The database engines the demo runs on. */
export const DB_TYPES = ['sqlite', 'mysql', 'postgres'] as const;
export type DbType = (typeof DB_TYPES)[number];

/** The HTTP platforms the demo runs on: Fastify by default (faster), Express as well. */
export const HTTP_PLATFORMS = ['fastify', 'express'] as const;
export type HttpPlatform = (typeof HTTP_PLATFORMS)[number];

/** The demo's configuration, after validation of the environment (see `validateEnvironment`). */
export interface DemoConfig {
  readonly http: {
    /** `@nestjs/platform-fastify` or `@nestjs/platform-express`. */
    readonly platform: HttpPlatform;
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
    /** The IANA zone the `invoice` tag's days start in and its numbers show their date in (checked by the library). */
    readonly timeZone: string;
  };
  readonly orders: {
    /** The secret of the `OpaqueIdCodec` that turns order IDs into the `publicId` of their URL. */
    readonly urlSecret: string;
    /** Whether `urlSecret` is the development default: anyone who reads the sources can decode those codes. */
    readonly urlSecretIsDefault: boolean;
  };
  /** `NODE_ENV=production`: the development defaults that are no secret get a warning at startup. */
  readonly production: boolean;
  readonly admin: {
    /** The bearer token of the admin endpoints; `null` turns them off (they answer 403). */
    readonly token: string | null;
    /**
     * Failed authentications (a missing or wrong token) one client IP may make per minute; past it, every admin
     * request from it gets 429 until the minute is over, the right token's included. Successful calls never count.
     */
    readonly rateLimitPerMinute: number;
  };
  /** The demo is an ID server too (`LeafServerModule`): Leaf's GET route open to all, the rest to its client. */
  readonly leafServer: {
    /**
     * The bearer token of the services that reserve segments from the demo with `HttpLeafStore` (`nest-leaf/http`):
     * one client, `services`, of every tag, no admin; `null`: none, and only Leaf's GET route is served.
     */
    readonly clientToken: string | null;
  };
}

/** `ConfigService` over the validated `DemoConfig`: `config.get('leaf', { infer: true })`. */
export type DemoConfigService = ConfigService<DemoConfig, true>;

/** Every default of the demo, in one place. Each key is the environment variable that overrides it. */
export const DEMO_DEFAULTS = {
  HTTP_PLATFORM: 'fastify',
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
  LEAF_TIME_ZONE: 'UTC',
  /**
   * So that the demo runs with no set-up. Public, so codes made with it hide nothing from whoever reads this file:
   * with NODE_ENV=production the demo warns at startup until ORDER_URL_SECRET is set.
   */
  ORDER_URL_SECRET: 'nest-leaf-demo-development-only-order-url-secret',
  /** No default: a token everyone can read in the sources is no secret. Unset (or empty), the admin API is off. */
  ADMIN_TOKEN: null,
  ADMIN_RATE_LIMIT: 10,
  /** No default either: unset, the demo's ID server has no client and serves Leaf's GET route alone. */
  LEAF_SERVER_TOKEN: null,
} as const;

/** The largest `count` of `GET /ids/:tag?count=`: the library's `maxBatchSize`, set from here so both agree. */
export const MAX_BATCH_SIZE = 10_000;

/** Shortest accepted ADMIN_TOKEN: 16 random characters are beyond guessing at ADMIN_RATE_LIMIT tries a minute. */
export const ADMIN_TOKEN_MIN_LENGTH = 16;

/** Shortest accepted ORDER_URL_SECRET: what `OpaqueIdCodec` requires. */
export const ORDER_URL_SECRET_MIN_LENGTH = 16;

/**
 * The biz tags the demo serves; their `leaf_alloc` rows are created at startup when missing. `invoice` is a period
 * tag: one row per day (`invoice:20261201`), created on demand; `invoice_id` numbers the invoices' primary keys.
 * `invoice-fr` is a gapless series (French invoices): numbered in `leaf_gapless`, inside the invoice's transaction.
 */
export const BIZ_TAGS = {
  order: 'order',
  user: 'user',
  invoice: 'invoice',
  invoiceId: 'invoice_id',
  invoiceFr: 'invoice-fr',
} as const;

/** The invoice numbers: `INV-20261201-000001`, restarting at 1 every day (in LEAF_TIME_ZONE). */
export const INVOICE_NUMBER_FORMAT = 'INV-{yyyy}{MM}{dd}-{seq:6}';

/**
 * The French invoice numbers (`POST /invoices?series=fr`): `F2026-000001`, with no gap, restarting at 1 every year
 * of the database's clock (in LEAF_TIME_ZONE).
 */
export const FRENCH_INVOICE_NUMBER_FORMAT = 'F{yyyy}-{seq:6}';

/** The invoice series of `POST /invoices?series=`: the daily segment-numbered one by default, or `fr`, gapless. */
export const INVOICE_SERIES = ['fr'] as const;
export type InvoiceSeries = (typeof INVOICE_SERIES)[number];
