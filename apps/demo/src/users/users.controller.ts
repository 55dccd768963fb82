import { Body, Controller, Get, Header, Inject, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS, ID_ERRORS } from '../common/api-errors.js';
import { NO_STORE } from '../common/id-route.js';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { CreateUserDto } from './create-user.dto.js';
import { UserResponse } from './user.response.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @Post()
  @Header('Cache-Control', NO_STORE)
  @ApiOperation({ summary: 'Create a user under a new Leaf ID of the `user` tag' })
  @ApiCreatedResponse({ type: UserResponse, description: 'The user, with a Leaf ID of the `user` tag' })
  @ApiErrors({
    400: 'The body is invalid (VALIDATION_FAILED, the message lists every problem) or not JSON (MALFORMED_JSON)',
    ...BODY_ERRORS,
    ...ID_ERRORS,
    409: 'A user with this email exists (CONFLICT), or the `user` tag has used up the BIGINT range (LEAF_ID_OVERFLOW)',
  })
  async create(@Body() dto: CreateUserDto): Promise<UserResponse> {
    return UserResponse.from(await this.users.create(dto));
  }

  @Get(':id')
  @ApiOperation({ summary: 'A user by ID' })
  @ApiParam({ name: 'id', type: String, example: '1001' })
  @ApiOkResponse({ type: UserResponse })
  @ApiErrors({ 400: 'The id is not a positive integer below 2^63 (INVALID_ID)', 404: 'No user has this id' })
  async get(@Param('id', ParseIdPipe) id: bigint): Promise<UserResponse> {
    return UserResponse.from(await this.users.get(id));
  }
}
