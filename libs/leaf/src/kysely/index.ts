export { LeafIdPlugin, type LeafIdTable } from './leaf-id.plugin.js';
