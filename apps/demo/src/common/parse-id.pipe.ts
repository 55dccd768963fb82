import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** Parses a path parameter into a positive BIGINT id, exactly (no trip through `Number`). */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, bigint> {
  transform(value: string): bigint {
    const id = /^[1-9][0-9]{0,18}$/.test(value) ? BigInt(value) : 0n;
    if (id < 1n || id > MAX_BIGINT) {
      throw new BadRequestException({
        code: 'INVALID_ID',
        message: `id must be a positive integer from 1 to ${MAX_BIGINT}, written in decimal digits, got ${JSON.stringify(value)}.`,
      });
    }
    return id;
  }
}
