import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { MonitorState } from './monitor-state.js';
import { MONITOR_PAGE } from './monitor.page.js';
import { MonitorService } from './monitor.service.js';

/**
 * uPlot (a dependency of the workspace), served from node_modules as published: the page's charts need no build
 * step and no CDN. Read once, at startup.
 */
const uplot = (file: string) => readFileSync(createRequire(import.meta.url).resolve(`uplot/dist/${file}`), 'utf8');
const UPLOT_SCRIPT = uplot('uPlot.iife.min.js');
const UPLOT_STYLE = uplot('uPlot.min.css');

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

  @Get('vendor/uPlot.iife.min.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=86400')
  @ApiExcludeEndpoint()
  uplotScript(): string {
    return UPLOT_SCRIPT;
  }

  @Get('vendor/uPlot.min.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=86400')
  @ApiExcludeEndpoint()
  uplotStyle(): string {
    return UPLOT_STYLE;
  }
}
