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
    const { threshold, timeZone } = this.config.get('leaf', { infer: true });
    // The library accepted the zone at bootstrap; shown as it canonicalized it ('utc' → 'UTC').
    return {
      at: Date.now(),
      running: this.ids.isRunning,
      threshold,
      timeZone: new Intl.DateTimeFormat('en', { timeZone }).resolvedOptions().timeZone,
      tags: this.ids
        .inspect()
        .map((snapshot) => TagView.from(snapshot))
        .sort((a, b) => a.tag.localeCompare(b.tag)),
    };
  }
}
