import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse } from '@nestjs/swagger';
import { ErrorResponse } from './error-body.js';

/** The error statuses the demo documents, each with the `ErrorResponse` body. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 503;

/**
 * Documents error responses of an operation (or of every operation of a controller), each with its description
 * and the schema of the demo's error body: `@ApiErrors({ 404: 'Unknown biz tag' })`.
 */
export function ApiErrors(descriptions: Partial<Record<ErrorStatus, string>>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorResponse),
    ...Object.entries(descriptions).map(([status, description]) =>
      ApiResponse({ status: Number(status), description, type: ErrorResponse }),
    ),
  );
}

/** What an endpoint that takes an ID from the generator may answer besides its own errors. */
export const ID_ERRORS = {
  409: 'The tag has used up the BIGINT range (LEAF_ID_OVERFLOW): no retry helps',
  503: 'No ID could be had in time, or the server is shutting down (LEAF_UNAVAILABLE); retry after `Retry-After` seconds',
} as const;

/** What an endpoint with a JSON body may answer besides its own errors. */
export const BODY_ERRORS = {
  413: 'The body is larger than 100 kB',
  415: 'The body is not sent as `Content-Type: application/json`',
} as const;
