import { Controller, Get, Head, Header, Inject, Param } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { IdGenerator } from 'nest-leaf';
import { ApiErrors, ID_ERRORS } from '../common/api-errors.js';
import { NO_STORE, refuseHead } from '../common/id-route.js';

/** Meituan Leaf's HTTP API (`leaf-server`), so clients written for Leaf work unchanged. */
@ApiTags('leaf-compatible')
@Controller('api/segment')
export class SegmentController {
  constructor(@Inject(IdGenerator) private readonly ids: IdGenerator) {}

  // Declared before the GET handler, which Express and Fastify would otherwise run for HEAD too (see refuseHead).
  @Head('get/:key')
  @ApiExcludeEndpoint()
  head(): never {
    refuseHead();
  }

  @Get('get/:key')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', NO_STORE)
  @ApiOperation({
    summary: "One ID of a biz tag as plain text, like Leaf's /api/segment/get/{key}",
    description: 'Errors are JSON with the status below (Leaf answers 500 to every error). `HEAD` is refused (405).',
  })
  @ApiParam({ name: 'key', example: 'order' })
  @ApiOkResponse({
    description: 'The ID in decimal',
    content: { 'text/plain': { schema: { type: 'string', pattern: '^[1-9][0-9]*$', example: '1001' } } },
  })
  @ApiErrors({
    400: 'The key is malformed: empty, longer than 128 characters, or with control characters (LEAF_INVALID_ARGUMENT)',
    404: 'Unknown biz tag (LEAF_UNKNOWN_BIZ_TAG)',
    ...ID_ERRORS,
  })
  async get(@Param('key') key: string): Promise<string> {
    return (await this.ids.nextId(key)).toString();
  }
}
