import { Controller, Get, Head, Header, Inject, Param, Query } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { IdGenerator } from 'nest-leaf';
import { ApiErrors, ID_ERRORS } from '../common/api-errors.js';
import { NO_STORE, refuseHead } from '../common/id-route.js';
import { MAX_BATCH_SIZE } from '../config/demo.config.js';
import { IdResponse, IdsResponse } from './id.response.js';
import { ParseCountPipe } from './parse-count.pipe.js';

@ApiTags('ids')
@ApiExtraModels(IdResponse, IdsResponse)
@Controller('ids')
export class IdsController {
  constructor(@Inject(IdGenerator) private readonly ids: IdGenerator) {}

  // Declared before the GET handler, which Express and Fastify would otherwise run for HEAD too (see refuseHead).
  @Head(':tag')
  @ApiExcludeEndpoint()
  head(): never {
    refuseHead();
  }

  @Get(':tag')
  @Header('Cache-Control', NO_STORE)
  @ApiOperation({
    summary: 'One ID of a biz tag, or `count` of them',
    description:
      'Every call spends the IDs it answers (`Cache-Control: no-store`); `HEAD` is refused with 405 for that reason.',
  })
  @ApiParam({ name: 'tag', example: 'order', description: 'A configured biz tag, or one with a row in leaf_alloc' })
  @ApiQuery({
    name: 'count',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_BATCH_SIZE, example: 100 },
    description: `How many IDs, from 1 to maxBatchSize (${MAX_BATCH_SIZE.toLocaleString('en-US')}); given once`,
  })
  @ApiOkResponse({
    description: '`{ tag, id }`, or `{ tag, ids }` when `count` is given',
    schema: { oneOf: [{ $ref: getSchemaPath(IdResponse) }, { $ref: getSchemaPath(IdsResponse) }] },
  })
  @ApiErrors({
    400: 'count is not an integer from 1 to maxBatchSize or is given twice (INVALID_COUNT), or the tag is malformed (LEAF_INVALID_ARGUMENT)',
    404: 'Unknown biz tag (LEAF_UNKNOWN_BIZ_TAG)',
    ...ID_ERRORS,
  })
  async next(
    @Param('tag') tag: string,
    @Query(ParseCountPipe) count: number | undefined,
  ): Promise<IdResponse | IdsResponse> {
    if (count === undefined) return { tag, id: (await this.ids.nextId(tag)).toString() };
    const ids = await this.ids.nextIds(tag, count);
    return { tag, ids: ids.map((id) => id.toString()) };
  }
}
