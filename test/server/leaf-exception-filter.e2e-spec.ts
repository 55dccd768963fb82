import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Catch, Controller, Get, Header, Module, Param, UseFilters, type INestApplication } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import {
  BizTagExistsError,
  IdOverflowError,
  INTERNAL_ERROR_MESSAGE,
  InvalidArgumentError,
  InvalidLeafOptionsError,
  LeafExceptionFilter,
  LeafForbiddenError,
  LeafStoreError,
  LeafUnavailableError,
  MAX_ID,
  UnknownBizTagError,
  type LeafError,
} from 'nest-leaf';
import { availablePlatforms, call } from '../support/leaf-server.js';

/**
 * `LeafExceptionFilter`, the library's one LeafError → HTTP mapping as a Nest filter, on every HTTP platform
 * installed: status, body (code, message, the typed error's fields) and headers of each error, through Nest's
 * adapter. The server's use of the same mapping is in leaf-server.e2e-spec.ts.
 */
const PLATFORMS = await availablePlatforms();

const ERRORS: Record<string, () => LeafError> = {
  argument: () => new InvalidArgumentError('count', 'count must be from 1 to 10.'),
  forbidden: () => new LeafForbiddenError('order', 'Client "x" may not use "order".'),
  unknown: () => UnknownBizTagError.collationMatch('Order', 'order'),
  overflow: () => new IdOverflowError('order', MAX_ID - 2n, 10),
  exists: () => BizTagExistsError.collationMatch('Order', 'order'),
  unavailable: () => LeafUnavailableError.shuttingDown('order'),
  store: () => new LeafStoreError('UPDATE leaf_alloc SET step = 1000 WHERE biz_tag = secret'),
  options: () => new InvalidLeafOptionsError('step', 'expected a positive integer'),
};

@Controller('fail')
class FailingController {
  @Get(':kind')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  fail(@Param('kind') kind: string): never {
    throw ERRORS[kind]();
  }
}

/** A subclass words messages for its routes, as the demo's admin filter does. */
@Catch(UnknownBizTagError)
class WordedFilter extends LeafExceptionFilter {
  protected override messageOf(error: LeafError, status: number): string {
    return `${status}: see GET /tags for the tags there are (${error.code})`;
  }
}

@Controller('worded')
@UseFilters(WordedFilter)
class WordedController {
  @Get()
  fail(): never {
    throw new UnknownBizTagError('nope');
  }
}

@Module({
  controllers: [FailingController, WordedController],
  providers: [{ provide: APP_FILTER, useClass: LeafExceptionFilter }],
})
class FilterModule {}

describe.each(PLATFORMS)('LeafExceptionFilter on %s', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const options = { logger: false as const };
    if (platform === 'fastify') {
      const { FastifyAdapter } = await import('@nestjs/platform-fastify');
      app = await NestFactory.create(FilterModule, new FastifyAdapter(), options);
    } else {
      app = await NestFactory.create(FilterModule, options);
    }
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  it.each([
    ['argument', 400, { error: 'Bad Request', code: 'LEAF_INVALID_ARGUMENT', argument: 'count' }],
    ['forbidden', 403, { error: 'Forbidden', code: 'LEAF_FORBIDDEN', bizTag: 'order' }],
    ['unknown', 404, { error: 'Not Found', code: 'LEAF_UNKNOWN_BIZ_TAG', bizTag: 'Order', similar: 'order' }],
    ['overflow', 409, { code: 'LEAF_ID_OVERFLOW', bizTag: 'order', maxId: String(MAX_ID - 2n), step: 10 }],
    ['exists', 409, { error: 'Conflict', code: 'LEAF_BIZ_TAG_EXISTS', bizTag: 'Order', existing: 'order' }],
    ['unavailable', 503, { code: 'LEAF_UNAVAILABLE', bizTag: 'order', reason: 'shutting-down' }],
  ])('answers %s with %i, the code, the message and the fields of the error, as JSON', async (kind, status, fields) => {
    const answer = await call(`${url}/fail/${kind}`);
    expect(answer.status).toBe(status);
    // The route's text/plain was set before it threw: the error is JSON all the same.
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('retry-after')).toBe(status === 503 ? '1' : null);
    expect(answer.json()).toEqual({
      statusCode: status,
      error: expect.any(String),
      message: ERRORS[kind]().message,
      ...fields,
    });
  });

  it('answers a LeafStoreError and any other LeafError with 500 and its code, never its message', async () => {
    for (const [kind, code] of [
      ['store', 'LEAF_STORE'],
      ['options', 'LEAF_INVALID_OPTIONS'],
    ]) {
      const answer = await call(`${url}/fail/${kind}`);
      expect(answer.status).toBe(500);
      expect(answer.json()).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        code,
        message: INTERNAL_ERROR_MESSAGE,
      });
      expect(answer.text).not.toContain('secret');
    }
  });

  it('lets a subclass word the message, keeping status and fields', async () => {
    const answer = await call(`${url}/worded`);
    expect(answer.status).toBe(404);
    expect(answer.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      code: 'LEAF_UNKNOWN_BIZ_TAG',
      message: '404: see GET /tags for the tags there are (LEAF_UNKNOWN_BIZ_TAG)',
      bizTag: 'nope',
    });
  });
});
