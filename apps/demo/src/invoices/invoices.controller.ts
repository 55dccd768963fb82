import { Body, Controller, Get, Header, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { INVOICE_SERIES, type InvoiceSeries } from '../config/demo.config.js';
import { ApiErrors, BODY_ERRORS, ID_ERRORS } from '../common/api-errors.js';
import { NO_STORE } from '../common/id-route.js';
import { CreateInvoiceDto } from './create-invoice.dto.js';
import { InvoiceResponse } from './invoice.response.js';
import { InvoicesService } from './invoices.service.js';
import { ParseSeriesPipe, SERIES_RULE } from './parse-series.pipe.js';

@ApiTags('invoices')
@Controller('invoices')
export class InvoicesController {
  constructor(@Inject(InvoicesService) private readonly invoices: InvoicesService) {}

  @Post()
  @Header('Cache-Control', NO_STORE)
  @ApiOperation({
    summary: 'Invoices an order: an ID of the `invoice_id` tag and a number of the daily `invoice` tag, or gapless',
    description:
      'The number is `INV-<yyyyMMdd>-<n>`: the day (in LEAF_TIME_ZONE), then a sequence that restarts at 000001 ' +
      'every day (`IdGenerator.nextCode`: from memory, unique, with gaps). With `?series=fr` it is a French one, ' +
      '`F<yyyy>-<n>`: gapless, taken in the transaction that writes the invoice (`IdGenerator.nextGaplessCode`), a ' +
      "series per year of the database's clock.",
  })
  @ApiQuery({
    name: 'series',
    required: false,
    enum: INVOICE_SERIES,
    description: 'fr: a gapless French number (F2026-000001); left out: the daily number (INV-20261201-000001)',
  })
  @ApiCreatedResponse({ type: InvoiceResponse, description: 'The invoice, with its number' })
  @ApiErrors({
    400:
      'The body is invalid (VALIDATION_FAILED, the message lists every problem) or not JSON (MALFORMED_JSON), or ' +
      `series is unknown (INVALID_SERIES: ${SERIES_RULE})`,
    404: 'No order has this id; no number was spent',
    ...BODY_ERRORS,
    ...ID_ERRORS,
    503:
      ID_ERRORS[503] +
      '; for a French invoice, the previous one held the series past waitTimeoutMs, or the database broke a ' +
      'conflict (LEAF_GAPLESS_BUSY): nothing was written, retry',
  })
  async create(
    @Body() dto: CreateInvoiceDto,
    @Query('series', ParseSeriesPipe) series?: InvoiceSeries,
  ): Promise<InvoiceResponse> {
    return InvoiceResponse.from(await this.invoices.create(dto, series));
  }

  @Get(':number')
  @ApiOperation({ summary: 'An invoice by its number' })
  @ApiParam({ name: 'number', type: String, example: 'INV-20261201-000001', description: 'or F2026-000001' })
  @ApiOkResponse({ type: InvoiceResponse })
  @ApiErrors({
    400: 'Not an invoice number (`IdGenerator.parseCode` refuses it, LEAF_INVALID_ARGUMENT): the message says what is wrong',
    404: 'A well-formed number that no invoice has',
  })
  async get(@Param('number') number: string): Promise<InvoiceResponse> {
    return InvoiceResponse.from(await this.invoices.get(number));
  }
}
