import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { MonitorState } from './monitor-state.js';
import { MONITOR_PAGE } from './monitor.page.js';
import { MonitorService } from './monitor.service.js';

@ApiTags('monitor')
@Controller('monitor')
export class MonitorController {
  constructor(@Inject(MonitorService) private readonly monitor: MonitorService) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @ApiOperation({ summary: 'The live monitor page (HTML); it polls GET /monitor/state' })
  @ApiProduces('text/html')
  page(): string {
    return MONITOR_PAGE;
  }

  @Get('state')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: "Every tag's segments and counters, as the monitor page shows them" })
  @ApiOkResponse({ type: MonitorState })
  state(): MonitorState {
    return this.monitor.state();
  }
}
