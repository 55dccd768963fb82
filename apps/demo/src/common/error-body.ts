import { STATUS_CODES } from 'node:http';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { LeafErrorBody } from 'nest-leaf';

/**
 * The JSON body of every error the demo answers: the library's (`LeafErrorBody`, what `LeafExceptionFilter` and the
 * ID server answer), which is Nest's own shape plus a stable `code` that clients can branch on without parsing the
 * message (the library's `LEAF_*` codes, or the demo's own) and the fields of a library error. Validation answers
 * a list of messages.
 */
export type ErrorBody = Omit<LeafErrorBody, 'message'> & { readonly message: string | string[] };

export function errorBody(statusCode: number, code: string, message: string | string[]): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code, message };
}

/** `ErrorBody` in the OpenAPI document: the schema of every error response. */
export class ErrorResponse implements ErrorBody {
  @ApiProperty({ type: 'integer', example: 404, description: 'The HTTP status, repeated' })
  statusCode!: number;

  @ApiProperty({ example: 'Not Found', description: "The status's reason phrase" })
  error!: string;

  @ApiProperty({
    example: 'LEAF_UNKNOWN_BIZ_TAG',
    description:
      "Stable code to branch on: the library's (`LEAF_*`), the demo's own (`VALIDATION_FAILED`, `INVALID_COUNT`, `INVALID_SERIES`, " +
      '`UNSUPPORTED_MEDIA_TYPE`, …), or else the name of the status (`NOT_FOUND`)',
  })
  code!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'Unknown biz tag "nope": …',
    description: 'What is wrong, in words; a list of every problem for `VALIDATION_FAILED`',
  })
  message!: string | string[];

  @ApiPropertyOptional({ example: 'nope', description: "The biz tag concerned, for the library's errors about one" })
  bizTag?: string;

  @ApiPropertyOptional({
    example: 'order',
    description: "LEAF_UNKNOWN_BIZ_TAG: the row another spelling matched under the table's collation",
  })
  similar?: string;

  @ApiPropertyOptional({
    example: '9223372036854775800',
    description: "LEAF_ID_OVERFLOW: the row's max_id, in decimal",
  })
  maxId?: string;

  @ApiPropertyOptional({
    type: 'integer',
    example: 10,
    description: 'LEAF_ID_OVERFLOW: the step that would pass 2^63-1',
  })
  step?: number;

  @ApiPropertyOptional({ example: 'count', description: 'LEAF_INVALID_ARGUMENT: the argument refused' })
  argument?: string;

  @ApiPropertyOptional({
    enum: ['timeout', 'overloaded', 'shutting-down', 'unreachable'],
    description: 'LEAF_UNAVAILABLE: why no ID could be had',
  })
  reason?: string;

  @ApiPropertyOptional({ example: 'order', description: 'LEAF_BIZ_TAG_EXISTS: the row found' })
  existing?: string;
}
