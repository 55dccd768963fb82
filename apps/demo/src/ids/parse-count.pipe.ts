import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/**
 * Parses the optional `count` query parameter: decimal digits only. The range (1 to `maxBatchSize`) is the
 * generator's to check, so its limit and its message stay in one place.
 */
@Injectable()
export class ParseCountPipe implements PipeTransform<string | undefined, number | undefined> {
  transform(value: string | string[] | undefined): number | undefined {
    if (value === undefined) return undefined;
    // `?count=1&count=2` arrives as an array: which one was meant is anyone's guess.
    if (Array.isArray(value)) {
      throw invalidCount(`count must be given once, got it ${value.length} times (${JSON.stringify(value)}).`);
    }
    if (!/^[0-9]+$/.test(value)) throw invalidCount(`count must be a positive integer, got ${JSON.stringify(value)}.`);
    return Number(value);
  }
}

function invalidCount(message: string): BadRequestException {
  return new BadRequestException({ code: 'INVALID_COUNT', message });
}
