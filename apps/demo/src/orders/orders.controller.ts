import { Body, Controller, Get, Inject, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { CreateOrderDto } from './create-order.dto.js';
import { OrderResponse } from './order.response.js';
import { OrdersService } from './orders.service.js';

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  @Post()
  @ApiCreatedResponse({ type: OrderResponse, description: 'The order, with a Leaf ID of the `order` tag' })
  @ApiBadRequestResponse({ description: 'The body is invalid; the message lists every problem' })
  @ApiServiceUnavailableResponse({ description: 'No ID could be had in time; retry after `Retry-After` seconds' })
  async create(@Body() dto: CreateOrderDto): Promise<OrderResponse> {
    return OrderResponse.from(await this.orders.create(dto));
  }

  @Get(':id')
  @ApiParam({ name: 'id', type: String, example: '1001' })
  @ApiOkResponse({ type: OrderResponse })
  @ApiBadRequestResponse({ description: 'The id is not a positive integer' })
  @ApiNotFoundResponse({ description: 'No order has this id' })
  async get(@Param('id', ParseIdPipe) id: bigint): Promise<OrderResponse> {
    return OrderResponse.from(await this.orders.get(id));
  }
}
