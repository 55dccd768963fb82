/** The message of anything thrown, for logs and for the messages of the library's own errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `text` ending in one full stop, so a sentence can follow it: messages that end in one are not doubled. */
export function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
