import { ApiProperty } from '@nestjs/swagger';
import type { User } from './user.entity.js';

/** A user as JSON: the BIGINT id travels as a string, since JSON numbers lose digits past 2^53. */
export class UserResponse {
  @ApiProperty({ example: '1001', description: 'Leaf ID of the user, as a decimal string' })
  id!: string;

  @ApiProperty({ example: 'Ada Lovelace' })
  name!: string;

  @ApiProperty({ example: 'ada@example.com' })
  email!: string;

  @ApiProperty({ example: '2025-01-01T12:00:00.000Z' })
  createdAt!: string;

  static from(user: User): UserResponse {
    return { id: user.id.toString(), name: user.name, email: user.email, createdAt: user.createdAt.toISOString() };
  }
}
