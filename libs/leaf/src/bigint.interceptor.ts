import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { map, type Observable } from 'rxjs';

/**
 * Writes every `bigint` of a handler's result as a decimal string, so a controller can return what `IdGenerator`
 * hands out: JSON has no bigint (`JSON.stringify` throws "Do not know how to serialize a BigInt", a 500 whose ID is
 * then a gap), and a JSON number loses precision past 2^53. Arrays and plain objects are walked; a class instance is
 * walked too unless it has its own `toJSON`, and `Date`s, `Buffer`s and streams pass as they are. Works on Express
 * and Fastify alike.
 *
 * ```ts
 * app.useGlobalInterceptors(new BigIntInterceptor());        // or per controller: @UseInterceptors(BigIntInterceptor)
 * ```
 */
@Injectable()
export class BigIntInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map(bigintsToStrings));
  }
}

/** `value` with every bigint in it written as a decimal string; values without one are returned as they are. */
export function bigintsToStrings(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = bigintsToStrings(value[i]);
      if (item !== value[i]) (copy ??= [...value])[i] = item;
    }
    return copy ?? value;
  }
  if (!isWalkable(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const written = bigintsToStrings(item);
    if (written !== item) (copy ??= { ...value })[key] = written;
  }
  return copy ?? value;
}

/** A plain object, or an instance without a `toJSON` of its own that JSON would serialise field by field. */
function isWalkable(value: object): boolean {
  if (value instanceof Date || ArrayBuffer.isView(value) || typeof (value as { pipe?: unknown }).pipe === 'function') {
    return false;
  }
  return typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}
