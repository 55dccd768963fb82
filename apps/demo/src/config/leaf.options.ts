import type { LeafModuleOptions } from 'nest-leaf';
import { BIZ_TAGS, type DemoConfig } from './demo.config.js';

/** `LeafModule` options of the demo: its two tags, with the step and threshold from the environment. */
export function leafOptions(leaf: DemoConfig['leaf']): LeafModuleOptions {
  return {
    bizTags: [
      { tag: BIZ_TAGS.order, description: 'IDs of orders (nest-leaf demo)' },
      { tag: BIZ_TAGS.user, description: 'IDs of users (nest-leaf demo)' },
    ],
    step: leaf.step,
    threshold: leaf.threshold,
  };
}
