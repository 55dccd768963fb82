import { STATUS_CODES } from 'node:http';
import { ApiProperty } from '@nestjs/swagger';

/**
 * The JSON body of every error the demo answers: Nest's own shape, plus a stable `code` that clients can branch
 * on without parsing the message (the library's `LEAF_*` codes, or the demo's own).
 */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string | string[];
}

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
      "Stable code to branch on: the library's (`LEAF_*`), the demo's own (`VALIDATION_FAILED`, `INVALID_COUNT`, " +
      '`UNSUPPORTED_MEDIA_TYPE`, …), or else the name of the status (`NOT_FOUND`)',
  })
  code!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'Unknown biz tag "nope": …',
    description: 'What is wrong, in words; a list of every problem for `VALIDATION_FAILED`',
  })
  message!: string | string[];
}
