import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { IdGenerator } from 'nest-leaf';
import { BIZ_TAGS, type InvoiceSeries } from '../config/demo.config.js';
import { OrdersService } from '../orders/orders.service.js';
import type { CreateInvoiceDto } from './create-invoice.dto.js';
import { Invoice } from './invoice.entity.js';

@Injectable()
export class InvoicesService {
  constructor(
    @Inject(IdGenerator) private readonly ids: IdGenerator,
    @Inject(OrdersService) private readonly orders: OrdersService,
    @InjectRepository(Invoice) private readonly invoices: Repository<Invoice>,
  ) {}

  /** SQLite: the French invoices' transactions, one at a time (see `createFrench`). */
  private french: Promise<unknown> = Promise.resolve();

  /**
   * Invoices an order: numbered in the daily series (`INV-20261201-000001`, segment-numbered: unique, with gaps), or
   * with `series: 'fr'` in the gapless French one (`F2026-000001`).
   */
  async create(dto: CreateInvoiceDto, series?: InvoiceSeries): Promise<Invoice> {
    // A 404 for a missing order before any number is taken, so numbers are not spent on refused requests.
    const order = await this.orders.get(BigInt(dto.orderId));
    const number = series === 'fr' ? await this.createFrench(order.id) : await this.createDaily(order.id);
    // Read back what the database stored, created_at included.
    return this.get(number);
  }

  /** A daily invoice: its number comes from memory (a segment); one that fails to be written leaves a gap. */
  private async createDaily(orderId: bigint): Promise<string> {
    const [id, number] = await Promise.all([this.ids.nextId(BIZ_TAGS.invoiceId), this.ids.nextCode(BIZ_TAGS.invoice)]);
    await this.invoices.insert(this.invoices.create({ id, number, orderId }));
    return number;
  }

  /**
   * A French invoice: its number is taken in the transaction that writes the invoice, so it is committed with it, and
   * anything that fails before the commit gives it back: the French numbers of a year are 1, 2, 3, … with no gap.
   * It is taken last, just before the INSERT and the commit: the series' counter stays locked from the number to the
   * commit, and the next French invoice waits for it.
   *
   * On SQLite TypeORM runs every transaction of the DataSource on its one connection, where concurrent transactions
   * would nest into each other: there, French invoices are written one at a time.
   */
  private createFrench(orderId: bigint): Promise<string> {
    const write = () =>
      this.invoices.manager.transaction(async (manager) => {
        const id = await this.ids.nextId(BIZ_TAGS.invoiceId);
        const number = await this.ids.nextGaplessCode(BIZ_TAGS.invoiceFr, { manager });
        await manager.insert(Invoice, manager.create(Invoice, { id, number, orderId }));
        return number;
      });
    if (this.invoices.manager.dataSource.options.type !== 'better-sqlite3') return write();
    const written = this.french.then(write);
    this.french = written.catch(() => undefined);
    return written;
  }

  /**
   * The invoice with this number, of either series.
   * @throws InvalidArgumentError (400, the library's message) when it is not an invoice number at all
   */
  async get(number: string): Promise<Invoice> {
    this.checkNumber(number);
    const invoice = await this.invoices.findOneBy({ number });
    if (invoice === null) throw new NotFoundException(`Invoice ${number} does not exist.`);
    return invoice;
  }

  /** A daily number, or a French one; anything else is refused with what a daily number looks like. */
  private checkNumber(number: string): void {
    try {
      this.ids.parseCode(BIZ_TAGS.invoice, number);
    } catch (error) {
      try {
        this.ids.parseCode(BIZ_TAGS.invoiceFr, number);
      } catch {
        throw error;
      }
    }
  }
}
