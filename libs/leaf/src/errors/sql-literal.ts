/** A string as an SQL literal, for the fixes that messages suggest (never for a statement that runs). */
export function sqlLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
