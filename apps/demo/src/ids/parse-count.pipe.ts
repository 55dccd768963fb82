import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { MAX_BATCH_SIZE } from '../config/demo.config.js';

/** What `count` must be, as every 400 about it says. */
export const COUNT_RULE = `count must be an integer from 1 to ${MAX_BATCH_SIZE} (maxBatchSize)`;

/**
 * Reads the optional `count` of `GET /ids/:tag` from the whole query: decimal digits, from 1 to `MAX_BATCH_SIZE`
 * (the library's `maxBatchSize` is set from the same constant). Anything else is a 400 that quotes the value as
 * it was sent (never as a JavaScript number would print it, `1e+23`), rather than a guess of what was meant:
 * `?count=1&count=2` (which one?) and `?count[]=2` (Express' query parser keeps the brackets in the name, so
 * without this check the count would be silently missing and one ID would come back).
 */
@Injectable()
export class ParseCountPipe implements PipeTransform<Record<string, unknown>, number | undefined> {
  transform(query: Record<string, unknown>): number | undefined {
    const stray = Object.keys(query).filter((name) => name !== 'count' && /^count\W/.test(name));
    if (stray.length > 0) {
      const sent = stray.flatMap((name) => [query[name]].flat().map((value) => `${name}=${String(value)}`));
      throw invalidCount(
        `count must be given as a plain query parameter, such as ?count=2, got ?${sent.join('&')}` +
          ' (brackets and dots are not read).',
      );
    }
    const value = query.count;
    if (value === undefined) return undefined;
    if (Array.isArray(value)) {
      throw invalidCount(`count must be given once, got it ${value.length} times (${JSON.stringify(value)}).`);
    }
    if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) {
      throw invalidCount(`${COUNT_RULE}, got ${JSON.stringify(value)}.`);
    }
    // Compared as a bigint: 99999999999999999999999 would be 1e+23 as a number, and is reported as sent.
    const count = BigInt(value);
    if (count < 1n || count > BigInt(MAX_BATCH_SIZE)) throw invalidCount(`${COUNT_RULE}, got ${value}.`);
    return Number(count);
  }
}

function invalidCount(message: string): BadRequestException {
  return new BadRequestException({ code: 'INVALID_COUNT', message });
}
