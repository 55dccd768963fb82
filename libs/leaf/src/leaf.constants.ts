/**
 * Injection token of the validated options (`ResolvedLeafOptions`): `@Inject(LEAF_OPTIONS)`. Exported by `LeafModule`.
 */
export const LEAF_OPTIONS = Symbol('LEAF_OPTIONS');
/**
 * Injection token of the `LeafStore` the generator reserves segments from, exported by `LeafModule`: inject it, or
 * replace it in a test (`overrideProvider(LEAF_STORE).useValue(new InMemoryLeafStore())`).
 */
export const LEAF_STORE = Symbol('LEAF_STORE');
/** The generator's method that adds a feature module's tags (`LeafModule.forFeature`): internal, not exported. */
export const ADD_FEATURE_TAGS = Symbol('nest-leaf:add-feature-tags');
