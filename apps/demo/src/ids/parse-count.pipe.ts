import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/**
 * Parses the optional `count` query parameter: decimal digits only. The range (1 to `maxBatchSize`) is the
 * generator's to check, so its limit and its message stay in one place.
 */
@Injectable()
export class ParseCountPipe implements PipeTransform<string | undefined, number | undefined> {
  transform(value: string | string[] | undefined): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) {
      throw new BadRequestException(`count must be a positive integer, got ${JSON.stringify(value)}.`);
    }
    return Number(value);
  }
}
