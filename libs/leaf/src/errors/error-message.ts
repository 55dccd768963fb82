/** The message of anything thrown, for logs and for the messages of the library's own errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
