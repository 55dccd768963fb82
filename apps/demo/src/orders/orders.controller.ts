import { Body, Controller, Get, Header, Inject, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS, ID_ERRORS } from '../common/api-errors.js';
import { NO_STORE } from '../common/id-route.js';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { CreateOrderDto } from './create-order.dto.js';
import type { Order } from './order.entity.js';
import { OrderResponse } from './order.response.js';
import { OrdersService } from './orders.service.js';

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  @Post()
  @Header('Cache-Control', NO_STORE)
  @ApiOperation({ summary: 'Create an order under a new Leaf ID of the `order` tag' })
  @ApiCreatedResponse({ type: OrderResponse, description: 'The order, with a Leaf ID of the `order` tag' })
  @ApiErrors({
    400: 'The body is invalid (VALIDATION_FAILED, the message lists every problem) or not JSON (MALFORMED_JSON)',
    ...BODY_ERRORS,
    ...ID_ERRORS,
  })
  async create(@Body() dto: CreateOrderDto): Promise<OrderResponse> {
    return this.response(await this.orders.create(dto));
  }

  // Before ':id' for readability only: '/orders/public/x' has two segments, which ':id' never matches.
  @Get('public/:publicId')
  @ApiOperation({
    summary: 'An order by its public ID, the form of its ID for URLs',
    description:
      'The `publicId` of an order response: 11 characters of 0-9, A-Z, a-z (`OpaqueIdCodec`) that do not reveal ' +
      'the order ID nor how many orders came in between. It is not an access check.',
  })
  @ApiParam({ name: 'publicId', type: String, example: '3kTMd92jFqA' })
  @ApiOkResponse({ type: OrderResponse })
  @ApiErrors({
    400: 'Not a public ID: not 11 characters of 0-9, A-Z, a-z, or one no ID has (LEAF_INVALID_ARGUMENT)',
    404: 'No order has this public ID',
  })
  async getByPublicId(@Param('publicId') publicId: string): Promise<OrderResponse> {
    return this.response(await this.orders.getByPublicId(publicId));
  }

  @Get(':id')
  @ApiOperation({ summary: 'An order by its ID' })
  @ApiParam({ name: 'id', type: String, example: '1001' })
  @ApiOkResponse({ type: OrderResponse })
  @ApiErrors({ 400: 'The id is not a positive integer below 2^63 (INVALID_ID)', 404: 'No order has this id' })
  async get(@Param('id', ParseIdPipe) id: bigint): Promise<OrderResponse> {
    return this.response(await this.orders.get(id));
  }

  private response(order: Order): OrderResponse {
    return OrderResponse.from(order, this.orders.publicIdOf(order));
  }
}
