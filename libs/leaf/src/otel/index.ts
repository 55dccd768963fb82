export { LeafOtelMetrics, LEAF_OTEL_METER, LEAF_OTEL_OPTIONS, type LeafOtelOptions } from './leaf.otel-metrics.js';
