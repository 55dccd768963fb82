import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** The body of `POST /orders`. */
export class CreateOrderDto {
  @ApiProperty({ example: 'ACME Corp', maxLength: 100 })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  customer!: string;

  @ApiProperty({
    example: 4999,
    minimum: 0,
    maximum: 2_147_483_647,
    description: "Amount in the currency's minor unit",
  })
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  amountCents!: number;

  @ApiProperty({ example: 'EUR', pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code' })
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code of three capital letters, such as EUR' })
  currency!: string;
}
