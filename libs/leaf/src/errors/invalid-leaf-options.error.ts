import { LeafError } from './leaf.error.js';

/**
 * `LeafModule.forRoot()` / `forRootAsync()` got an option it cannot use. Thrown at bootstrap.
 */
export class InvalidLeafOptionsError extends LeafError {
  readonly code = 'LEAF_INVALID_OPTIONS';

  constructor(
    readonly option: string,
    readonly problem: string,
  ) {
    super(`Invalid LeafModule option "${option}": ${problem}`);
  }

  /**
   * `store` lacks members of the `LeafStore` interface.
   * @param got how the value looks (`an object`, `a function`, `"redis"`)
   * @param missing the members it lacks
   */
  static notAStore(got: string, missing: readonly string[]): InvalidLeafOptionsError {
    return new InvalidLeafOptionsError(
      'store',
      `expected a LeafStore, got ${got} without ${missing.join(', ')}. Pass an instance of a class that implements ` +
        "LeafStore (exported by 'nest-leaf'), or leave store out to keep leaf_alloc in the TypeORM DataSource.",
    );
  }

  /** No `store` was given and the default store has no TypeORM DataSource to work on. */
  static noStore(dataSource: string | undefined): InvalidLeafOptionsError {
    const which = dataSource === undefined ? 'default TypeORM DataSource' : `TypeORM DataSource "${dataSource}"`;
    return new InvalidLeafOptionsError(
      'store',
      `LeafModule has no store: no store option was given, and the default store (leaf_alloc through TypeORM) ` +
        `found no ${which}. Pass store (a LeafStore) in the options of forRoot or the factory of forRootAsync, or ` +
        `import TypeOrmModule.forRoot({ ...${dataSource === undefined ? '' : ` name: "${dataSource}",`} }) in the ` +
        'application, with leaf_alloc created by LeafAllocMigration. If that module is imported, its DataSource ' +
        'failed to start: see the error logged before this one.',
    );
  }

  /** No `store` was given and TypeORM, which the default store needs, is not installed. */
  static noTypeOrm(cause: unknown): InvalidLeafOptionsError {
    const error = new InvalidLeafOptionsError(
      'store',
      'LeafModule has no store: no store option was given, and the default store (leaf_alloc through TypeORM) ' +
        'needs typeorm and @nestjs/typeorm, which this application does not have. Pass store (a LeafStore: ' +
        "RedisLeafStore from 'nest-leaf/redis', HttpLeafStore from 'nest-leaf/http', or your own) in the options " +
        'of forRoot or the factory of forRootAsync, or install typeorm and @nestjs/typeorm and import ' +
        'TypeOrmModule.forRoot() in the application.',
    );
    error.cause = cause;
    return error;
  }

  /** A feature module's tag that the module configures already (in `forRoot` or another `forFeature`). */
  static configuredTwice(option: string, tag: string): InvalidLeafOptionsError {
    return new InvalidLeafOptionsError(
      option,
      `"${tag}" is configured already (in forRoot or another forFeature): configure each tag once, in one module`,
    );
  }

  /** A plain tag named like a period tag's row would share that row with the period tag. */
  static periodRowTag(option: string, tag: string, periodTag: string): InvalidLeafOptionsError {
    return new InvalidLeafOptionsError(
      option,
      `"${tag}" names a row of the period tag "${periodTag}"; rename it, or serve that period through "${periodTag}"`,
    );
  }

  /** `forFeature` registered once the generator had started: its tags would come too late to be served from boot. */
  static featureAfterStart(): InvalidLeafOptionsError {
    return new InvalidLeafOptionsError(
      'forFeature',
      'came after the generator started; import the feature module in the application (its tags are added before ' +
        'startup), not into a module created later',
    );
  }

  /** A second `LeafModule.forRoot` in one application would run a second generator beside the first. */
  static secondForRoot(): InvalidLeafOptionsError {
    return new InvalidLeafOptionsError(
      'forRoot',
      'LeafModule.forRoot (or forRootAsync) is imported twice in this application, which would run two generators ' +
        'that hand out the same tags from separate memories (and health and metrics see one). Import forRoot once, ' +
        "in the root module (it is global), and add a feature's tags with LeafModule.forFeature({ bizTags: [...] }).",
    );
  }

  /** `store` replaces the TypeORM store, so the DataSource named for that store would be ignored. */
  static storeWithDataSource(dataSource: string): InvalidLeafOptionsError {
    return new InvalidLeafOptionsError(
      'dataSource',
      `names the TypeORM DataSource of the default store ("${dataSource}"), but store replaces that store. ` +
        'Pass one of them: store for your own LeafStore, or dataSource for leaf_alloc through TypeORM.',
    );
  }

  /** `timeZone` is not an IANA zone this runtime knows. */
  static unknownTimeZone(got: string): InvalidLeafOptionsError {
    return new InvalidLeafOptionsError(
      'timeZone',
      `expected an IANA time zone such as "UTC", "Asia/Shanghai" or "Europe/Berlin", got ${got}, which this ` +
        'runtime does not know. Abbreviations such as "CST" are ambiguous; pick the zone by city ' +
        '(Intl.supportedValuesOf("timeZone") lists them).',
    );
  }
}
