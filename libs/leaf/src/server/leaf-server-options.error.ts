import { LeafError } from '../errors/leaf.error.js';

/**
 * `LeafServerModule.forRoot()` / `forRootAsync()` got an option it cannot use, or the module was imported without
 * `LeafModule`. Thrown at bootstrap, before the server answers anything. Messages never show a token.
 */
export class InvalidLeafServerOptionsError extends LeafError {
  readonly code = 'LEAF_INVALID_SERVER_OPTIONS';

  constructor(
    readonly option: string,
    readonly problem: string,
  ) {
    super(`Invalid LeafServerModule option "${option}": ${problem}`);
  }

  /** The server serves the `IdGenerator` and `LeafStore` of `LeafModule`, which the application does not import. */
  static noLeafModule(missing: string): InvalidLeafServerOptionsError {
    return new InvalidLeafServerOptionsError(
      'imports',
      `LeafServerModule found no ${missing}: import LeafModule.forRoot({ bizTags, ... }) (or forRootAsync) in the ` +
        'same application, next to LeafServerModule, and keep it global (the default; with isGlobal: false, ' +
        'import it into the module that imports LeafServerModule). The server hands out what that module reserves.',
    );
  }
}
