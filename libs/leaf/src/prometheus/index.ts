export { LeafMetrics, LEAF_METRICS_OPTIONS, type LeafMetricsOptions } from './leaf.metrics.js';
