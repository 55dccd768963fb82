import type { ResolvedLeafOptions } from '../leaf.defaults.js';
import { resolveLeafOptions } from '../leaf.options.js';

/**
 * The module's defaults with no tag configured: the CLI serves none, so every row is "a row no `bizTags` entry
 * covers" (the default `failoverSkip`, or `--skip`). `resolveLeafOptions` asks for a tag, which is dropped.
 */
export function cliOptions(): ResolvedLeafOptions {
  return { ...resolveLeafOptions({ bizTags: ['nest-leaf-cli'] }), bizTags: [] };
}
