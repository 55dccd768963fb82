import { ApiProperty } from '@nestjs/swagger';

/** `GET /ids/:tag`: one ID, as a decimal string. */
export class IdResponse {
  @ApiProperty({ example: 'order' })
  tag!: string;

  @ApiProperty({ example: '1001' })
  id!: string;
}

/** `GET /ids/:tag?count=n`: n unique, increasing IDs, as decimal strings. */
export class IdsResponse {
  @ApiProperty({ example: 'order' })
  tag!: string;

  @ApiProperty({ type: [String], example: ['1001', '1002', '1003'] })
  ids!: string[];
}
