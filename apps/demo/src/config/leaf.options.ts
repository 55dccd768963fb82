import type { LeafModuleOptions } from 'nest-leaf';
import {
  BIZ_TAGS,
  FRENCH_INVOICE_NUMBER_FORMAT,
  INVOICE_NUMBER_FORMAT,
  MAX_BATCH_SIZE,
  type DemoConfig,
} from './demo.config.js';

/**
 * `LeafModule` options of the demo: its tags, with the step, threshold and time zone from the environment.
 * `invoice` restarts every day in `timeZone`; its rows take the module's step, as the other tags' do. `invoice-fr` is
 * gapless: numbered one at a time in the invoice's transaction, a series per year.
 */
export function leafOptions(leaf: DemoConfig['leaf']): LeafModuleOptions {
  return {
    bizTags: [
      { tag: BIZ_TAGS.order, description: 'IDs of orders (nest-leaf demo)' },
      { tag: BIZ_TAGS.user, description: 'IDs of users (nest-leaf demo)' },
      {
        tag: BIZ_TAGS.invoice,
        period: 'day',
        format: INVOICE_NUMBER_FORMAT,
        description: 'Invoice numbers of one day (nest-leaf demo)',
      },
      { tag: BIZ_TAGS.invoiceId, description: 'IDs of invoices (nest-leaf demo)' },
      // French invoices: no gap, in the invoice's own transaction (leaf_gapless), a series per year.
      { tag: BIZ_TAGS.invoiceFr, gapless: true, period: 'year', format: FRENCH_INVOICE_NUMBER_FORMAT },
    ],
    step: leaf.step,
    threshold: leaf.threshold,
    timeZone: leaf.timeZone,
    maxBatchSize: MAX_BATCH_SIZE,
  };
}
