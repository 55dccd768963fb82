export {
  InMemoryLeafStore,
  type InMemoryLeafRow,
  type HeldReservation,
  type HoldOptions,
} from './in-memory-leaf.store.js';
export { LeafTestingModule, type LeafTestingOptions } from './leaf-testing.module.js';
export {
  describeLeafStoreContract,
  type LeafStoreContractOptions,
  type LeafStoreUnderTest,
} from './leaf-store-contract.js';
