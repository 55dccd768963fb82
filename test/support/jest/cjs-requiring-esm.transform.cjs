'use strict';
/**
 * Jest transform for CommonJS packages that require Nest 12's ES-module-only packages (see esm-peers.ts):
 * their `require("@nestjs/common")` becomes a read of the instance the test already imported. Tests only;
 * Node itself loads these packages through require(esm).
 */
const PEER = /require\("(@nestjs\/(?:common|core))"\)/g;

module.exports = {
  process(source) {
    return { code: source.replace(PEER, 'globalThis.__jestEsmPeers["$1"]') };
  },
  getCacheKey(source, path) {
    return require('node:crypto')
      .createHash('sha1')
      .update('cjs-requiring-esm-1')
      .update(path)
      .update(source)
      .digest('hex');
  },
};
