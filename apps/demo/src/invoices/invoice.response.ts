import { ApiProperty } from '@nestjs/swagger';
import type { Invoice } from './invoice.entity.js';

/** An invoice as JSON: BIGINT ids travel as strings, since JSON numbers lose digits past 2^53. */
export class InvoiceResponse {
  @ApiProperty({ example: '1001', description: 'Leaf ID of the invoice (tag `invoice_id`), as a decimal string' })
  id!: string;

  @ApiProperty({
    example: 'INV-20261201-000001',
    description:
      'The invoice number: of the daily tag `invoice`, the day it was issued then its number within that day; of the ' +
      'gapless French series `invoice-fr` (`?series=fr`), `F<year>-<number>`, with no gap in a year',
  })
  number!: string;

  @ApiProperty({ example: '1001', description: 'ID of the order invoiced, as a decimal string' })
  orderId!: string;

  @ApiProperty({ example: '2025-01-01T12:00:00.000Z' })
  createdAt!: string;

  static from(invoice: Invoice): InvoiceResponse {
    return {
      id: invoice.id.toString(),
      number: invoice.number,
      orderId: invoice.orderId.toString(),
      createdAt: invoice.createdAt.toISOString(),
    };
  }
}
