export { LeafHealthIndicator, type LeafHealthDetails, type LeafTagHealth } from './leaf.health.js';
