import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LeafHealthIndicator } from 'nest-leaf/health';
import { HealthController } from './health.controller.js';

/** LeafModule does not import TerminusModule, so the indicator is provided here, next to HealthIndicatorService. */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty' })],
  controllers: [HealthController],
  providers: [LeafHealthIndicator],
})
export class HealthModule {}
