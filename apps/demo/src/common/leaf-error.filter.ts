import { Catch, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import {
  BizTagExistsError,
  IdOverflowError,
  InvalidArgumentError,
  LeafError,
  LeafUnavailableError,
  UnknownBizTagError,
} from 'nest-leaf';
import { errorBody } from './error-body.js';

/** Seconds a client should wait before retrying after a 503 from the generator. */
export const RETRY_AFTER_SECONDS = 1;

/** The HTTP status of each library error; anything else is a 500. */
export function statusOf(error: LeafError): HttpStatus {
  if (error instanceof UnknownBizTagError) return HttpStatus.NOT_FOUND;
  if (error instanceof InvalidArgumentError) return HttpStatus.BAD_REQUEST;
  if (error instanceof LeafUnavailableError) return HttpStatus.SERVICE_UNAVAILABLE;
  // The tag's sequence has reached 2^63-1: a state of the resource that no retry will change.
  if (error instanceof IdOverflowError) return HttpStatus.CONFLICT;
  if (error instanceof BizTagExistsError) return HttpStatus.CONFLICT;
  return HttpStatus.INTERNAL_SERVER_ERROR;
}

/**
 * Answers every `LeafError` with its HTTP status and a JSON body shaped like Nest's own errors, plus the
 * library's `code`. A 503 carries `Retry-After`, since the generator recovers on its own.
 */
@Catch(LeafError)
export class LeafErrorFilter implements ExceptionFilter<LeafError> {
  private readonly logger = new Logger(LeafErrorFilter.name);

  catch(error: LeafError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const status = statusOf(error);
    const internal = status === HttpStatus.INTERNAL_SERVER_ERROR;
    if (internal) this.logger.error(`${error.code}: ${error.message}`, error.stack);
    if (status === HttpStatus.SERVICE_UNAVAILABLE) response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    // Routes that answer text/plain (the Leaf-compatible one) have set Content-Type already: errors are JSON.
    response
      .status(status)
      .type('application/json')
      // A store failure may quote the driver; the log has it, the client gets the code.
      .json(
        errorBody(
          status,
          error.code,
          internal ? 'The ID generator failed; see the server log.' : this.messageOf(error),
        ),
      );
  }

  /** The message a client gets for an error that is not a 500: the library's, unless a subclass words it for its routes. */
  protected messageOf(error: LeafError): string {
    return error.message;
  }
}
