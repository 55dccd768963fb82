// The README's configuration-driven module on an SQLite file: LEAF_STEP and the other settings arrive as strings from
// the environment, as they do in a real app.
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LeafAllocMigration } from 'nest-leaf/typeorm';
import { LeafConfigModule } from './leaf-config.module.js';
import { OrderService } from './order.service.js';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'better-sqlite3',
      database: process.env.SQLITE_FILE ?? 'ids.sqlite',
      autoLoadEntities: true,
      migrations: [LeafAllocMigration],
      migrationsRun: true,
    }),
    LeafConfigModule,
  ],
  providers: [OrderService],
  exports: [OrderService],
})
export class SqliteAppModule {}
