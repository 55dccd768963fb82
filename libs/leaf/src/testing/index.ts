export { InMemoryLeafStore, type InMemoryLeafRow, type HeldReservation } from './in-memory-leaf.store.js';
export { LeafTestingModule, type LeafTestingOptions } from './leaf-testing.module.js';
