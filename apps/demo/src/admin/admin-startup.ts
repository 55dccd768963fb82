/**
 * What `main.ts` logs at startup about the admin API: how to call it with the same token as the server, or how to
 * turn it on. The token itself is never logged (logs are read by more people than should hold it).
 */
export function adminApiHint(token: string | null, url: string): string {
  if (token === null) {
    return (
      'Admin API off: ADMIN_TOKEN is not set. To turn it on, put a token in .env (read at startup) and restart: ' +
      `echo "ADMIN_TOKEN=$(openssl rand -hex 32)" >> .env`
    );
  }
  return (
    "Admin API on. Call it with the server's ADMIN_TOKEN, from a shell that has it (export $(grep ^ADMIN_TOKEN= .env) " +
    `if it is in .env): curl -H "Authorization: Bearer $ADMIN_TOKEN" ${url}/admin/tags`
  );
}
