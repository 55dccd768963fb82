import type { LoggerService } from '@nestjs/common';
import type { LeafStore } from '../store/leaf-store.js';
import type { ReservationEvent } from './segment.types.js';
import { type ResolvedLeafOptions } from '../leaf.defaults.js';

/** What the buffers of one generator share. */
export interface BufferContext {
  readonly store: LeafStore;
  readonly options: ResolvedLeafOptions;
  readonly logger: LoggerService;
  readonly report: (event: ReservationEvent) => void;
}
