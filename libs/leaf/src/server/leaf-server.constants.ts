/** Injection token of the validated server options (`ResolvedLeafServerOptions`). */
export const LEAF_SERVER_OPTIONS = Symbol('LEAF_SERVER_OPTIONS');
