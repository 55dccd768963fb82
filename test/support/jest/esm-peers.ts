import * as common from '@nestjs/common';
import * as core from '@nestjs/core';

/**
 * The Nest modules that CommonJS packages (@nestjs/throttler) require. Jest cannot `require()` an ES module on
 * Node 20, so `cjs-requiring-esm.transform.cjs` points those requires here, at the instances the test itself
 * imported: one @nestjs/common and one @nestjs/core per test file, as in the real app.
 */
(globalThis as { __jestEsmPeers?: Record<string, unknown> }).__jestEsmPeers = {
  '@nestjs/common': common,
  '@nestjs/core': core,
};
