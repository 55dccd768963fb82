import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches } from 'class-validator';
import { MAX_BIZ_TAG_LENGTH } from 'nest-leaf';

/**
 * The body of `POST /admin/tags`. Only the types are checked here; the ranges (tag length, step up to maxStep,
 * startAt below 2^63-1) are `LeafAdmin`'s, so each limit and its message live in one place.
 */
export class CreateTagDto {
  @ApiProperty({ example: 'shipment', maxLength: MAX_BIZ_TAG_LENGTH, description: 'The biz tag, stored as given' })
  @IsString()
  tag!: string;

  @ApiPropertyOptional({ example: 1000, minimum: 1, description: 'Base step of the row. Default: LEAF_STEP' })
  @IsOptional()
  @IsInt()
  step?: number;

  @ApiPropertyOptional({ example: 'IDs of shipments', maxLength: 256 })
  @IsOptional()
  @IsString()
  description?: string;

  @ApiPropertyOptional({
    example: '100000',
    pattern: '^[0-9]{1,19}$',
    description: 'The first ID, as a decimal string (a JSON number loses digits past 2^53). Default "1"',
  })
  @IsOptional()
  @IsString({ message: 'startAt must be a decimal string such as "1000" (a JSON number loses digits past 2^53)' })
  @Matches(/^[0-9]{1,19}$/, { message: 'startAt must be a decimal string of 1 to 19 digits, such as "1000"' })
  startAt?: string;
}
