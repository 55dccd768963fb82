import { ValidateBy, type ValidationOptions } from 'class-validator';
import { ID_RULE, parseId } from './parse-id.pipe.js';

/**
 * A body property holding a BIGINT id as a decimal string, as the responses write them: a JSON number would have
 * lost digits past 2^53 before the server saw it, so numbers are refused too.
 */
export function IsId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isId',
      validator: {
        validate: (value: unknown) => parseId(value) !== undefined,
        defaultMessage: (args) =>
          `${args?.property ?? 'id'} must be ${ID_RULE} in a string, got ${JSON.stringify(args?.value) ?? 'nothing'}`,
      },
    },
    options,
  );
}
