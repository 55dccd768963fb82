/**
 * Base class of every error the library throws, so callers can catch them all with one `instanceof`.
 */
export abstract class LeafError extends Error {
  /** A stable, machine-readable identifier (for logs, HTTP mapping and metrics labels). */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
