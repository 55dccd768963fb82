import { Controller, Get, Header, Inject, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { IdGenerator } from 'nest-leaf';

/** Meituan Leaf's HTTP API (`leaf-server`), so clients written for Leaf work unchanged. */
@ApiTags('leaf-compatible')
@Controller('api/segment')
export class SegmentController {
  constructor(@Inject(IdGenerator) private readonly ids: IdGenerator) {}

  @Get('get/:key')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: "One ID of a biz tag as plain text, like Leaf's /api/segment/get/{key}" })
  @ApiParam({ name: 'key', example: 'order' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The ID in decimal', schema: { type: 'string', example: '1001' } })
  async get(@Param('key') key: string): Promise<string> {
    return (await this.ids.nextId(key)).toString();
  }
}
