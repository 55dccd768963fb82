import type { OpenAPIObject } from '@nestjs/swagger';
import { LEAF_API_PREFIX } from 'nest-leaf/http';

type PathItemObject = OpenAPIObject['paths'][string];

/** Leaf's route in the demo's OpenAPI document, the one route of the ID server a caller without a token has. */
const LEAF_GET = `/${LEAF_API_PREFIX}/get/{key}`;

const textError = (description: string) => ({
  description,
  content: {
    'text/plain': {
      schema: { type: 'string', example: 'LEAF_UNKNOWN_BIZ_TAG: Unknown biz tag "nope": …' },
    },
  },
});

const LEAF_GET_DOC: PathItemObject = {
  get: {
    tags: ['leaf-compatible'],
    summary: "One ID of a biz tag as plain text, like Leaf's /api/segment/get/{key} (nest-leaf's LeafServerModule)",
    description:
      "Served by the library's ID server (`LeafServerModule`, see docs/server.md), open to callers without a token " +
      "as Leaf's own server is. `?count=N` answers N IDs, one per line. Errors are one `text/plain` line, " +
      '`<code>: <message>`, with the status below (Leaf answers 500 to every error). `HEAD` answers the headers ' +
      'and spends no ID.',
    parameters: [
      { name: 'key', in: 'path', required: true, schema: { type: 'string' }, example: 'order' },
      { name: 'count', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 10_000 } },
    ],
    responses: {
      200: {
        description: 'The ID in decimal (or one per line)',
        content: { 'text/plain': { schema: { type: 'string', pattern: '^[1-9][0-9]*$', example: '1001' } } },
      },
      400: textError('The key or count is malformed (LEAF_INVALID_ARGUMENT)'),
      404: textError('Unknown biz tag (LEAF_UNKNOWN_BIZ_TAG)'),
      409: textError('The tag has used up the BIGINT range (LEAF_ID_OVERFLOW)'),
      429: textError('Too many tags without a row asked for in a minute (LEAF_TOO_MANY_UNKNOWN_TAGS)'),
      503: textError('No ID could be had in time (LEAF_UNAVAILABLE); retry after `Retry-After` seconds'),
    },
  },
};

/**
 * The library's ID server knows nothing of Swagger, so its routes are documented here: Leaf's GET (open to all) in
 * place of what the scan finds of the server's controllers; the segment routes for `HttpLeafStore`, which need the
 * client token, are left to docs/server.md.
 */
export function documentLeafRoute(document: OpenAPIObject): OpenAPIObject {
  const paths = Object.fromEntries(
    Object.entries(document.paths).filter(([path]) => !path.startsWith(`/${LEAF_API_PREFIX}/`)),
  );
  return { ...document, paths: { ...paths, [LEAF_GET]: LEAF_GET_DOC } };
}
