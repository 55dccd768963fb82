import type { LeafStore } from '../store/leaf-store.js';

/** A row of `leaf_alloc` as `tags` shows it: everything the table holds. */
export interface TagRowView {
  readonly bizTag: string;
  /** The first ID no node owns yet, as a decimal string (exact past 2^53). */
  readonly maxId: string;
  readonly step: number;
  readonly description: string | null;
  /** When the row last changed, ISO 8601 in UTC; null when the backend does not say. */
  readonly updatedAt: string | null;
}

/** What `migrate` did. */
export interface MigrateOutcome {
  /** The tables it created (empty when every one existed: migrate is idempotent). */
  readonly created: readonly string[];
  /** The tables that were there already. */
  readonly existing: readonly string[];
}

/**
 * An open connection of the CLI: the library's store on it, and the two things the store's contract does not
 * cover, read or done the backend's own way (full rows for `tags`, the table for `migrate`).
 */
export interface CliConnection {
  readonly store: LeafStore;
  /** The connection without its password, for messages and `--json`. */
  readonly shown: string;
  /** The full rows of `tags` (the store's `listTags` decides what is a tag: markers are none). */
  rows(tags: readonly string[]): Promise<TagRowView[]>;
  /** Creates `leaf_alloc` (and with `gapless`, `leaf_gapless`) where missing. */
  migrate(gapless: boolean): Promise<MigrateOutcome>;
  close(): Promise<void>;
}

/** A value of a driver's timestamp column, as ISO 8601 UTC: SQLite gives `YYYY-MM-DD HH:MM:SS` (UTC) as text. */
export function isoTime(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  const text = String(value);
  const date = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(text) ? new Date(`${text.replace(' ', 'T')}Z`) : new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}
