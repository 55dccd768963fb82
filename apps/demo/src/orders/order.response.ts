import { ApiProperty } from '@nestjs/swagger';
import type { Order } from './order.entity.js';

/** An order as JSON: the BIGINT id travels as a string, since JSON numbers lose digits past 2^53. */
export class OrderResponse {
  @ApiProperty({ example: '1001', description: 'Leaf ID of the order, as a decimal string' })
  id!: string;

  @ApiProperty({ example: 'ACME Corp' })
  customer!: string;

  @ApiProperty({ example: 4999 })
  amountCents!: number;

  @ApiProperty({ example: 'EUR' })
  currency!: string;

  @ApiProperty({ example: '2025-01-01T12:00:00.000Z' })
  createdAt!: string;

  static from(order: Order): OrderResponse {
    return {
      id: order.id.toString(),
      customer: order.customer,
      amountCents: order.amountCents,
      currency: order.currency,
      createdAt: order.createdAt.toISOString(),
    };
  }
}
