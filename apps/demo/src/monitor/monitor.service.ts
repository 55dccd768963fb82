import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { IdGenerator } from 'nest-leaf';
import type { DemoConfigService } from '../config/demo.config.js';
import { MonitorState, TagView } from './monitor-state.js';

@Injectable()
export class MonitorService {
  constructor(
    @Inject(IdGenerator) private readonly ids: IdGenerator,
    @Inject(ConfigService) private readonly config: DemoConfigService,
  ) {}

  state(): MonitorState {
    return {
      at: Date.now(),
      running: this.ids.isRunning,
      threshold: this.config.get('leaf', { infer: true }).threshold,
      tags: this.ids
        .inspect()
        .map((snapshot) => TagView.from(snapshot))
        .sort((a, b) => a.tag.localeCompare(b.tag)),
    };
  }
}
