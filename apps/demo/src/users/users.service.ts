import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { IdGenerator } from 'nest-leaf';
import { isUniqueViolation } from '../common/unique-violation.js';
import { BIZ_TAGS } from '../config/demo.config.js';
import type { CreateUserDto } from './create-user.dto.js';
import { User } from './user.entity.js';

@Injectable()
export class UsersService {
  constructor(
    @Inject(IdGenerator) private readonly ids: IdGenerator,
    @InjectRepository(User) private readonly users: Repository<User>,
  ) {}

  async create(dto: CreateUserDto): Promise<User> {
    const user = this.users.create({ ...dto, id: await this.ids.nextId(BIZ_TAGS.user) });
    try {
      await this.users.insert(user);
    } catch (error) {
      // The constraint decides, so two concurrent sign-ups with one address cannot both win.
      if (isUniqueViolation(error)) throw new ConflictException(`A user with email ${dto.email} already exists.`);
      throw error;
    }
    return this.get(user.id);
  }

  async get(id: bigint): Promise<User> {
    const user = await this.users.findOneBy({ id });
    if (user === null) throw new NotFoundException(`User ${id} does not exist.`);
    return user;
  }
}
