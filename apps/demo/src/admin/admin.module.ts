import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LeafAlloc } from 'nest-leaf/typeorm';
import type { DemoConfigService } from '../config/demo.config.js';
import { AdminToken } from './admin-token.js';
import { AdminController } from './admin.controller.js';
import { AdminService } from './admin.service.js';

/**
 * The admin API. Its rate limit guards its own controller only (the ID endpoints are the hot path), and counts
 * failed authentications only (see AdminThrottlerGuard).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([LeafAlloc]),
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: DemoConfigService) => [
        { ttl: 60_000, limit: config.get('admin', { infer: true }).rateLimitPerMinute },
      ],
    }),
  ],
  controllers: [AdminController],
  providers: [AdminService, AdminToken],
})
export class AdminModule {}
