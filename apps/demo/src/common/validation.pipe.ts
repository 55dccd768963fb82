import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

/**
 * Nest's `ValidationPipe` as the demo uses it: unknown properties are refused, and the 400 carries the code
 * `VALIDATION_FAILED` with every problem in `message`.
 */
export class DemoValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  override createExceptionFactory() {
    return (errors: ValidationError[] = []) =>
      new BadRequestException({ code: 'VALIDATION_FAILED', message: this.flattenValidationErrors(errors) });
  }
}
