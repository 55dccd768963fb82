import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { IdGenerator } from 'nest-leaf';
import { BIZ_TAGS } from '../config/demo.config.js';
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

  async create(dto: CreateInvoiceDto): Promise<Invoice> {
    // A 404 for a missing order before any number is taken, so numbers are not spent on refused requests.
    const order = await this.orders.get(BigInt(dto.orderId));
    const [id, number] = await Promise.all([this.ids.nextId(BIZ_TAGS.invoiceId), this.ids.nextCode(BIZ_TAGS.invoice)]);
    await this.invoices.insert(this.invoices.create({ id, number, orderId: order.id }));
    // Read back what the database stored, created_at included.
    return this.get(number);
  }

  /**
   * The invoice with this number.
   * @throws InvalidArgumentError (400, the library's message) when it is not an `invoice` number at all
   */
  async get(number: string): Promise<Invoice> {
    this.ids.parseCode(BIZ_TAGS.invoice, number);
    const invoice = await this.invoices.findOneBy({ number });
    if (invoice === null) throw new NotFoundException(`Invoice ${number} does not exist.`);
    return invoice;
  }
}
