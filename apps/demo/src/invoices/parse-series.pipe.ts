import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { INVOICE_SERIES, type InvoiceSeries } from '../config/demo.config.js';

/** What `series` must be, as every 400 about it says. */
export const SERIES_RULE = `series must be ${INVOICE_SERIES.join(' or ')} (gapless French numbers), or left out (the daily INV- numbers)`;

/**
 * Reads the optional `series` of `POST /invoices`: absent for the daily, segment-numbered series, `fr` for the
 * gapless French one. Anything else, or the parameter given twice, is a 400 (`INVALID_SERIES`) that quotes it.
 */
@Injectable()
export class ParseSeriesPipe implements PipeTransform<unknown, InvoiceSeries | undefined> {
  transform(value: unknown): InvoiceSeries | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'string' && (INVOICE_SERIES as readonly string[]).includes(value)) {
      return value as InvoiceSeries;
    }
    throw new BadRequestException({ code: 'INVALID_SERIES', message: `${SERIES_RULE}, got ${JSON.stringify(value)}.` });
  }
}
