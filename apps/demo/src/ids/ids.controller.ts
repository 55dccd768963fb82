import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { IdGenerator } from 'nest-leaf';
import { IdResponse, IdsResponse } from './id.response.js';
import { ParseCountPipe } from './parse-count.pipe.js';

@ApiTags('ids')
@ApiExtraModels(IdResponse, IdsResponse)
@Controller('ids')
export class IdsController {
  constructor(@Inject(IdGenerator) private readonly ids: IdGenerator) {}

  @Get(':tag')
  @ApiParam({ name: 'tag', example: 'order', description: 'A configured biz tag, or one with a row in leaf_alloc' })
  @ApiQuery({
    name: 'count',
    required: false,
    example: 100,
    description: 'How many IDs, from 1 to maxBatchSize (10,000)',
  })
  @ApiOkResponse({
    description: '`{ tag, id }`, or `{ tag, ids }` when `count` is given',
    schema: { oneOf: [{ $ref: getSchemaPath(IdResponse) }, { $ref: getSchemaPath(IdsResponse) }] },
  })
  @ApiBadRequestResponse({ description: 'count is not an integer from 1 to maxBatchSize, or the tag is malformed' })
  @ApiNotFoundResponse({ description: 'Unknown biz tag' })
  @ApiConflictResponse({ description: 'The tag has used up the BIGINT range' })
  @ApiServiceUnavailableResponse({ description: 'No ID could be had in time; retry after `Retry-After` seconds' })
  async next(
    @Param('tag') tag: string,
    @Query('count', ParseCountPipe) count: number | undefined,
  ): Promise<IdResponse | IdsResponse> {
    if (count === undefined) return { tag, id: (await this.ids.nextId(tag)).toString() };
    const ids = await this.ids.nextIds(tag, count);
    return { tag, ids: ids.map((id) => id.toString()) };
  }
}
