import { isAbsolute, resolve } from 'node:path';
import { CliError } from './cli-errors.js';

/** Where the CLI connects: a SQL database through TypeORM, or Redis through ioredis. */
export type ConnectionTarget =
  | { readonly kind: 'mysql'; readonly url: string; readonly database: string; readonly shown: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly database: string; readonly shown: string }
  | { readonly kind: 'sqlite'; readonly file: string; readonly shown: string }
  | { readonly kind: 'redis'; readonly url: string; readonly shown: string };

/** The schemes the CLI reads, as its messages list them. */
export const SCHEMES =
  'mysql://, mariadb://, postgres://, postgresql://, sqlite:<path>, file:<path>, redis://, rediss://';

/**
 * The connection named by `--url`, else `DATABASE_URL`. `shown` is the URL without its password, for messages and
 * `--json` output: a hook's log must never hold a credential.
 * @throws CliError (usage) when there is none, or its scheme is not one the CLI knows
 */
export function connectionTarget(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ConnectionTarget {
  const raw = flag ?? env.DATABASE_URL;
  if (raw === undefined || raw.trim() === '') {
    throw CliError.usage(`No connection: set DATABASE_URL or pass --url (one of ${SCHEMES}).`);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'sqlite' || scheme === 'file') {
    // sqlite:./leaf.db, sqlite:///var/lib/leaf.db, file:leaf.db: a path, relative to the working folder.
    const path = decodeURIComponent(raw.slice(scheme.length + 1).replace(/^\/\/(?=\/)/, ''));
    if (path === '') throw CliError.usage(`"${raw}" names no file: write sqlite:<path> (sqlite:./leaf.sqlite).`);
    const file = isAbsolute(path) ? path : resolve(path);
    return { kind: 'sqlite', file, shown: `sqlite:${file}` };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw CliError.usage(`The connection "${withoutPassword(raw)}" is not a URL; expected one of ${SCHEMES}.`);
  }
  const shown = withoutPassword(raw);
  const database = decodeURIComponent(url.pathname.slice(1));
  switch (scheme) {
    case 'mysql':
    case 'mariadb':
      if (database === '') throw noDatabase(shown);
      // TypeORM's mysql driver (mysql2) reaches MariaDB as well; it reads the URL as mysql://.
      return { kind: 'mysql', url: `mysql:${raw.slice(scheme.length + 1)}`, database, shown };
    case 'postgres':
    case 'postgresql':
      if (database === '') throw noDatabase(shown);
      return { kind: 'postgres', url: raw, database, shown };
    case 'redis':
    case 'rediss':
      return { kind: 'redis', url: raw, shown };
    default:
      throw CliError.usage(`The connection "${shown}" has a scheme the CLI does not know; expected one of ${SCHEMES}.`);
  }
}

/** `mysql://root:secret@db/shop` shown as `mysql://root:***@db/shop`. */
export function withoutPassword(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

function noDatabase(shown: string): CliError {
  return CliError.usage(`The connection "${shown}" names no database: add it to the path (mysql://host:3306/shop).`);
}
