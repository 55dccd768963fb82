import { Body, Controller, Get, Inject, Param, Patch, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS } from '../common/api-errors.js';
import { AdminErrorFilter } from './admin-error.filter.js';
import { ADMIN_SECURITY, AdminTokenGuard } from './admin-token.guard.js';
import { AdminService } from './admin.service.js';
import { AdminThrottlerGuard } from './admin-throttler.guard.js';
import { CreateTagDto } from './create-tag.dto.js';
import { SetStepDto } from './set-step.dto.js';
import { LeafAllocView } from './leaf-alloc.view.js';

/**
 * Manages `leaf_alloc` rows at runtime. Guards run in order: the rate limit first, so that it counts the failed
 * authentications the token guard then refuses, and refuses a blocked address before its token is looked at.
 */
@ApiTags('admin')
@ApiBearerAuth(ADMIN_SECURITY)
@ApiErrors({
  401: 'No "Authorization: Bearer <ADMIN_TOKEN>", or a wrong token (ADMIN_UNAUTHORIZED)',
  403: 'The admin API is off: ADMIN_TOKEN is not set (ADMIN_API_DISABLED)',
  429: 'More than ADMIN_RATE_LIMIT failed authentications a minute from this address: every admin request from it is refused until `Retry-After` seconds have passed',
})
@UseGuards(AdminThrottlerGuard, AdminTokenGuard)
@UseFilters(AdminErrorFilter)
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
  @ApiErrors({
    400: 'The body is invalid (VALIDATION_FAILED), or the tag, step or startAt is out of range (LEAF_INVALID_ARGUMENT)',
    409: 'The tag already has a row; nothing was changed (LEAF_BIZ_TAG_EXISTS). PATCH /admin/tags/{tag} changes its step',
    ...BODY_ERRORS,
  })
  async create(@Body() dto: CreateTagDto): Promise<LeafAllocView> {
    return LeafAllocView.from(await this.admin.create(dto));
  }

  @Patch(':tag')
  @ApiOperation({
    summary: 'Change the base step of a biz tag (the floor of the dynamic step)',
    description: 'This node sizes its next reservation from it, other nodes within tagRefreshIntervalMs.',
  })
  @ApiParam({ name: 'tag', example: 'shipment' })
  @ApiOkResponse({ type: LeafAllocView })
  @ApiErrors({
    400: 'The step is not an integer from 1 to maxStep (VALIDATION_FAILED, LEAF_INVALID_ARGUMENT)',
    404: 'The tag has no row (LEAF_UNKNOWN_BIZ_TAG): POST /admin/tags creates it',
    ...BODY_ERRORS,
  })
  async setStep(@Param('tag') tag: string, @Body() { step }: SetStepDto): Promise<LeafAllocView> {
    return LeafAllocView.from(await this.admin.setStep(tag, step));
  }
}
