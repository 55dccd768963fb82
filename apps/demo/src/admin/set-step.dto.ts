import { ApiProperty } from '@nestjs/swagger';
import { IsInt } from 'class-validator';

/** The body of `PATCH /admin/tags/:tag`; the range (1 to maxStep) is `LeafAdmin`'s to check. */
export class SetStepDto {
  @ApiProperty({ example: 2000, minimum: 1, description: 'The new base step of the tag' })
  @IsInt()
  step!: number;
}
