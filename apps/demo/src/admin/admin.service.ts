import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Not, type Repository } from 'typeorm';
import { FENCE_MARKER, LeafAdmin, UnknownBizTagError } from 'nest-leaf';
import { LeafAlloc } from 'nest-leaf/typeorm';
import type { CreateTagDto } from './create-tag.dto.js';

/** Tag changes go through `LeafAdmin`, so this node applies them at once; rows are read back for the answer. */
@Injectable()
export class AdminService {
  constructor(
    @Inject(LeafAdmin) private readonly admin: LeafAdmin,
    @InjectRepository(LeafAlloc) private readonly rows: Repository<LeafAlloc>,
  ) {}

  /** Every tag's row; the failover fence's marker, a row of the table but no tag's, is left out. */
  list(): Promise<LeafAlloc[]> {
    return this.rows.find({ where: { bizTag: Not(FENCE_MARKER) }, order: { bizTag: 'ASC' } });
  }

  async create({ tag, step, description, startAt }: CreateTagDto): Promise<LeafAlloc> {
    await this.admin.createTag(tag, {
      step,
      description,
      startAt: startAt === undefined ? undefined : BigInt(startAt),
    });
    return this.row(tag);
  }

  async setStep(tag: string, step: number): Promise<LeafAlloc> {
    await this.admin.setStep(tag, step);
    return this.row(tag);
  }

  private async row(tag: string): Promise<LeafAlloc> {
    const row = await this.rows.findOneBy({ bizTag: tag });
    // Only a concurrent DELETE gets here: the row was just written.
    if (row === null) throw new UnknownBizTagError(tag);
    return row;
  }
}
