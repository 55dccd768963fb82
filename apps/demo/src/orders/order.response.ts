import { ApiProperty } from '@nestjs/swagger';
import type { Order } from './order.entity.js';

/** An order as JSON: the BIGINT id travels as a string, since JSON numbers lose digits past 2^53. */
export class OrderResponse {
  @ApiProperty({ example: '1001', description: 'Leaf ID of the order, as a decimal string' })
  id!: string;

  @ApiProperty({
    example: '3kTMd92jFqA',
    pattern: '^[0-9A-Za-z]{11}$',
    description: 'The ID in the form for URLs (`GET /orders/public/{publicId}`): it does not reveal the order count',
  })
  publicId!: string;

  @ApiProperty({ example: 'ACME Corp' })
  customer!: string;

  @ApiProperty({ example: 4999 })
  amountCents!: number;

  @ApiProperty({ example: 'EUR' })
  currency!: string;

  @ApiProperty({ example: '2025-01-01T12:00:00.000Z' })
  createdAt!: string;

  static from(order: Order, publicId: string): OrderResponse {
    return {
      id: order.id.toString(),
      publicId,
      customer: order.customer,
      amountCents: order.amountCents,
      currency: order.currency,
      createdAt: order.createdAt.toISOString(),
    };
  }
}
