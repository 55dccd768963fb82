import { randomBytes } from 'node:crypto';

/** A fresh ADMIN_TOKEN for one suite: 48 hex characters, as `openssl rand -hex 24` would print. */
export function newAdminToken(): string {
  return randomBytes(24).toString('hex');
}

/** The header that the admin endpoints require. */
export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}
