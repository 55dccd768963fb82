import { STATUS_CODES } from 'node:http';

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
