import type { PeriodicTag } from './period/periodic-tag.js';
import type { TagCodes } from './codes/tag-codes.js';

/** What issuing codes needs of the generator: its IDs, and its start. */
export interface CodeSource {
  nextId(bizTag: string): Promise<bigint>;
  nextIds(bizTag: string, count: number): Promise<bigint[]>;
  isCount(count: number): boolean;
  /** Undefined while the generator runs; else resolves once it does (rejects when it is shutting down). */
  whenRunning(bizTag: string): Promise<void> | undefined;
}

/**
 * `nextCode` and `nextCodes`: a tag without a period writes the ID it gets in its format, on the day it is issued; a
 * period tag writes its own (`PeriodicTag`), dated with the period its number belongs to.
 */
export class CodeIssuer {
  constructor(
    private readonly codes: TagCodes,
    private readonly periodic: ReadonlyMap<string, PeriodicTag>,
    private readonly ids: CodeSource,
  ) {}

  nextCode(bizTag: string): Promise<string> {
    const periodic = this.periodic.get(bizTag);
    if (periodic === undefined) {
      const rendering = this.codes.rendering(bizTag);
      return this.ids.nextId(bizTag).then((id) => rendering.code(id));
    }
    return this.ids.whenRunning(bizTag)?.then(() => periodic.nextCode()) ?? periodic.nextCode();
  }

  nextCodes(bizTag: string, count: number): Promise<string[]> {
    const periodic = this.periodic.get(bizTag);
    if (periodic === undefined || !this.ids.isCount(count)) {
      const rendering = this.codes.rendering(bizTag);
      return this.ids.nextIds(bizTag, count).then((ids) => ids.map((id) => rendering.code(id)));
    }
    return this.ids.whenRunning(bizTag)?.then(() => periodic.nextCodes(count)) ?? periodic.nextCodes(count);
  }
}
