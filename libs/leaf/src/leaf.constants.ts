/** Injection token of the validated options (`ResolvedLeafOptions`). */
export const LEAF_OPTIONS = Symbol('LEAF_OPTIONS');
/** Injection token of the `LeafStore` the generator reserves segments from. */
export const LEAF_STORE = Symbol('LEAF_STORE');
