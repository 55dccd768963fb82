import { BizTagExistsError } from '../errors/biz-tag-exists.error.js';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { InvalidLeafOptionsError } from '../errors/invalid-leaf-options.error.js';
import { LeafError } from '../errors/leaf.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { storeFailureKind } from '../errors/store-failure.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';

/**
 * What `npx nest-leaf` exits with, for scripts and promotion hooks to branch on (docs/cli.md lists them). Stable:
 * a number once given keeps its meaning.
 */
export const EXIT = {
  /** Done (a fence that found nothing to move is done too). */
  ok: 0,
  /** Anything the CLI did not expect: a bug, or an error it cannot classify. */
  unexpected: 1,
  /** A command line it cannot use: an unknown command or flag, a missing or bad value, no connection given. */
  usage: 2,
  /** The database, Redis or app could not be reached, or refused the credentials. */
  connection: 3,
  /** The tag has no row, or (create-tag) already has one. */
  notFoundOrConflict: 4,
  /** The store or app cannot do it: `fence` on a store without failover fencing, `inspect` on an app without the route. */
  unsupported: 5,
  /** The store is reachable but unusable as it is: no `leaf_alloc` table (run `migrate`), a missing permission. */
  store: 6,
  /** An optional package the connection needs is not installed (typeorm and its driver, ioredis). */
  missingPackage: 7,
} as const;

/** One of `EXIT`'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI explains itself: its exit code, a stable `code` for `--json`, and a message saying what to do. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }

  static usage(message: string): CliError {
    return new CliError(EXIT.usage, 'CLI_USAGE', `${message} Run "npx nest-leaf --help".`);
  }

  static connection(message: string, cause?: unknown): CliError {
    return new CliError(EXIT.connection, 'CLI_CONNECTION', message, { cause });
  }

  static unsupported(message: string): CliError {
    return new CliError(EXIT.unsupported, 'CLI_UNSUPPORTED', message);
  }

  /** `pkg` is not installed: what to install for this connection. */
  static missingPackage(pkg: string, install: string, cause?: unknown): CliError {
    return new CliError(
      EXIT.missingPackage,
      'CLI_MISSING_PACKAGE',
      `This connection needs the package "${pkg}", which is not installed. Install it next to nest-leaf: ${install}`,
      { cause },
    );
  }
}

/** Any error as the CLI reports it: its exit code, its code, and its message. */
export function classify(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof InvalidArgumentError || error instanceof InvalidLeafOptionsError) {
    return new CliError(EXIT.usage, error.code, error.message, { cause: error });
  }
  if (error instanceof UnknownBizTagError || error instanceof BizTagExistsError) {
    return new CliError(EXIT.notFoundOrConflict, error.code, error.message, { cause: error });
  }
  if (error instanceof LeafStoreError) return new CliError(EXIT.store, error.code, error.message, { cause: error });
  const kind = storeFailureKind(error);
  const message = error instanceof Error ? error.message : String(error);
  if (kind !== undefined || isRefusedLogin(error)) {
    return CliError.connection(`${kind === undefined ? '' : `${kind.split(' (')[0]}: `}${message}`, error);
  }
  if (error instanceof LeafError) return new CliError(EXIT.unexpected, error.code, message, { cause: error });
  return new CliError(EXIT.unexpected, 'CLI_UNEXPECTED', message, { cause: error });
}

/** A server that refused the credentials or the database: MySQL/MariaDB, PostgreSQL and Redis codes. */
function isRefusedLogin(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  // ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_BAD_DB_ERROR; invalid_password, invalid_authorization,
  // invalid_catalog_name (no such database)
  const codes = ['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', '28P01', '28000', '3D000'];
  return codes.includes(String(code)) || /^(WRONGPASS|NOAUTH)/.test(String(message));
}
