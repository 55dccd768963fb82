import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { LeafHealthIndicator } from 'nest-leaf/health';

/** How long the database may take to answer `SELECT 1` before readiness fails. */
const DATABASE_PING_TIMEOUT_MS = 1500;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(TypeOrmHealthIndicator) private readonly database: TypeOrmHealthIndicator,
    @Inject(LeafHealthIndicator) private readonly leaf: LeafHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({
    summary: 'Liveness: the process answers HTTP (no dependency is checked, so a database outage does not restart it)',
  })
  live() {
    return this.health.check([
      () => this.indicators.check('process').up({ pid: process.pid, uptimeSeconds: Math.round(process.uptime()) }),
    ]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: the database answers and every biz tag has IDs in memory',
    description:
      '200 with status "degraded" while a tag serves its last segment and reservations fail; 503 when a tag is out of IDs.',
  })
  ready() {
    return this.health.check([
      () => this.database.pingCheck('database').withTimeout(DATABASE_PING_TIMEOUT_MS),
      () => this.leaf.isHealthy('leaf'),
    ]);
  }
}
