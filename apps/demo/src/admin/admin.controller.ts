import { Body, Controller, Get, Inject, Param, Patch, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ADMIN_SECURITY, AdminTokenGuard } from './admin-token.guard.js';
import { AdminService } from './admin.service.js';
import { AdminThrottlerGuard } from './admin-throttler.guard.js';
import { CreateTagDto } from './create-tag.dto.js';
import { SetStepDto } from './set-step.dto.js';
import { LeafAllocView } from './leaf-alloc.view.js';

/** Manages `leaf_alloc` rows at runtime. Guards run in order: the rate limit first, so wrong tokens count too. */
@ApiTags('admin')
@ApiBearerAuth(ADMIN_SECURITY)
@ApiUnauthorizedResponse({ description: 'No "Authorization: Bearer <ADMIN_TOKEN>", or a wrong token' })
@ApiForbiddenResponse({ description: 'The admin API is off: ADMIN_TOKEN is not set' })
@ApiTooManyRequestsResponse({
  description: 'More than ADMIN_RATE_LIMIT requests a minute from this address; see `Retry-After`',
})
@UseGuards(AdminThrottlerGuard, AdminTokenGuard)
@Controller('admin/tags')
export class AdminController {
  constructor(@Inject(AdminService) private readonly admin: AdminService) {}

  @Get()
  @ApiOperation({ summary: 'Every row of leaf_alloc' })
  @ApiOkResponse({ type: [LeafAllocView] })
  async list(): Promise<LeafAllocView[]> {
    return (await this.admin.list()).map((row) => LeafAllocView.from(row));
  }

  @Post()
  @ApiOperation({ summary: 'Create a biz tag; every node serves it from its next request' })
  @ApiCreatedResponse({ type: LeafAllocView })
  @ApiBadRequestResponse({ description: 'The body is invalid, or the tag, step or startAt is out of range' })
  @ApiConflictResponse({ description: 'The tag already has a row; nothing was changed' })
  async create(@Body() dto: CreateTagDto): Promise<LeafAllocView> {
    return LeafAllocView.from(await this.admin.create(dto));
  }

  @Patch(':tag')
  @ApiOperation({
    summary: 'Change the base step of a biz tag (the floor of the dynamic step)',
    description: 'This node sizes its next reservation from it, other nodes within tagRefreshIntervalMs.',
  })
  @ApiParam({ name: 'tag', example: 'invoice' })
  @ApiOkResponse({ type: LeafAllocView })
  @ApiBadRequestResponse({ description: 'The step is not an integer from 1 to maxStep' })
  @ApiNotFoundResponse({ description: 'The tag has no row' })
  async setStep(@Param('tag') tag: string, @Body() { step }: SetStepDto): Promise<LeafAllocView> {
    return LeafAllocView.from(await this.admin.setStep(tag, step));
  }
}
