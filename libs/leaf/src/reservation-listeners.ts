import type { LoggerService } from '@nestjs/common';
import type { ReservationEvent } from './segment/segment.types.js';

/** The `onReservation` subscribers of one generator: a throwing listener is logged, never felt by the others. */
export class ReservationListeners {
  private readonly listeners = new Set<(event: ReservationEvent) => void>();

  constructor(private readonly logger: LoggerService) {}

  add(listener: (event: ReservationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  report(event: ReservationEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error(`A reservation listener threw: ${String(error)}`);
      }
    }
  }
}
