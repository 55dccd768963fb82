import { ApiProperty } from '@nestjs/swagger';
import { IsId } from '../common/is-id.validator.js';

/** The body of `POST /invoices`. */
export class CreateInvoiceDto {
  @ApiProperty({
    example: '1001',
    pattern: '^[1-9][0-9]{0,18}$',
    description: 'ID of an existing order, as a decimal string (as order responses give it)',
  })
  @IsId()
  orderId!: string;
}
