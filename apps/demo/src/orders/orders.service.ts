import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { IdGenerator } from 'nest-leaf';
import { BIZ_TAGS } from '../config/demo.config.js';
import type { CreateOrderDto } from './create-order.dto.js';
import { Order } from './order.entity.js';
import { OrderPublicIds } from './order-public-ids.js';

@Injectable()
export class OrdersService {
  constructor(
    @Inject(IdGenerator) private readonly ids: IdGenerator,
    @Inject(OrderPublicIds) private readonly publicIds: OrderPublicIds,
    @InjectRepository(Order) private readonly orders: Repository<Order>,
  ) {}

  async create(dto: CreateOrderDto): Promise<Order> {
    const order = this.orders.create({ ...dto, id: await this.ids.nextId(BIZ_TAGS.order) });
    await this.orders.insert(order);
    // Read back what the database stored, created_at included.
    return this.get(order.id);
  }

  async get(id: bigint): Promise<Order> {
    const order = await this.orders.findOneBy({ id });
    if (order === null) throw new NotFoundException(`Order ${id} does not exist.`);
    return order;
  }

  /** The order behind a public ID; the 404 names the public ID only, never the order ID it stands for. */
  async getByPublicId(publicId: string): Promise<Order> {
    const order = await this.orders.findOneBy({ id: this.publicIds.decode(publicId) });
    if (order === null) throw new NotFoundException(`No order has the public ID ${publicId}.`);
    return order;
  }

  /** The public ID of an order, for its URL. */
  publicIdOf(order: Order): string {
    return this.publicIds.encode(order.id);
  }
}
