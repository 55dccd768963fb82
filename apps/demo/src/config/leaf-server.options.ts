import type { LeafServerOptions } from 'nest-leaf/server';
import type { DemoConfig } from './demo.config.js';

/**
 * `LeafServerModule` options of the demo: Leaf's `GET /api/segment/get/:key` open to callers without a token, for
 * every tag, as Meituan Leaf's own server answers it (and as the demo's curl examples call it); the rest of the
 * server (segments for `HttpLeafStore`) for the one client `LEAF_SERVER_TOKEN` names, if set.
 */
export function leafServerOptions({ clientToken }: DemoConfig['leafServer']): LeafServerOptions {
  return {
    anonymousGet: true,
    clients: clientToken === null ? [] : [{ name: 'services', token: clientToken, tags: '*' }],
  };
}
