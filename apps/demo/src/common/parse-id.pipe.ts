import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** What an id must be, as the 400s say it. */
export const ID_RULE = `a positive integer from 1 to ${MAX_BIGINT}, written in decimal digits`;

/** A positive BIGINT id written in decimal digits (no sign, no leading zero), exactly; undefined for anything else. */
export function parseId(value: unknown): bigint | undefined {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,18}$/.test(value)) return undefined;
  const id = BigInt(value);
  return id <= MAX_BIGINT ? id : undefined;
}

/** Parses a path parameter into a positive BIGINT id, exactly (no trip through `Number`). */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, bigint> {
  transform(value: string): bigint {
    const id = parseId(value);
    if (id === undefined) {
      throw new BadRequestException({
        code: 'INVALID_ID',
        message: `id must be ${ID_RULE}, got ${JSON.stringify(value)}.`,
      });
    }
    return id;
  }
}
