import { Body, Controller, Get, Inject, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { CreateUserDto } from './create-user.dto.js';
import { UserResponse } from './user.response.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @Post()
  @ApiCreatedResponse({ type: UserResponse, description: 'The user, with a Leaf ID of the `user` tag' })
  @ApiBadRequestResponse({ description: 'The body is invalid; the message lists every problem' })
  @ApiConflictResponse({ description: 'A user with this email exists' })
  @ApiServiceUnavailableResponse({ description: 'No ID could be had in time; retry after `Retry-After` seconds' })
  async create(@Body() dto: CreateUserDto): Promise<UserResponse> {
    return UserResponse.from(await this.users.create(dto));
  }

  @Get(':id')
  @ApiParam({ name: 'id', type: String, example: '1001' })
  @ApiOkResponse({ type: UserResponse })
  @ApiBadRequestResponse({ description: 'The id is not a positive integer' })
  @ApiNotFoundResponse({ description: 'No user has this id' })
  async get(@Param('id', ParseIdPipe) id: bigint): Promise<UserResponse> {
    return UserResponse.from(await this.users.get(id));
  }
}
