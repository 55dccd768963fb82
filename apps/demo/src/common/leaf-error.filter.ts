import { Catch, HttpStatus, Inject, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  BizTagExistsError,
  IdOverflowError,
  InvalidArgumentError,
  LeafError,
  LeafUnavailableError,
  UnknownBizTagError,
} from 'nest-leaf';
import { errorBody } from './error-body.js';
import { sendError } from './error-response.js';

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

  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(error: LeafError, host: ArgumentsHost): void {
    const status = statusOf(error);
    const internal = status === HttpStatus.INTERNAL_SERVER_ERROR;
    if (internal) this.logger.error(`${error.code}: ${error.message}`, error.stack);
    sendError(
      this.adapterHost.httpAdapter,
      host.switchToHttp().getResponse<unknown>(),
      status,
      // A store failure may quote the driver; the log has it, the client gets the code.
      errorBody(status, error.code, internal ? 'The ID generator failed; see the server log.' : this.messageOf(error)),
      status === HttpStatus.SERVICE_UNAVAILABLE ? { 'Retry-After': String(RETRY_AFTER_SECONDS) } : {},
    );
  }

  /** The message a client gets for an error that is not a 500: the library's, unless a subclass words it for its routes. */
  protected messageOf(error: LeafError): string {
    return error.message;
  }
}
