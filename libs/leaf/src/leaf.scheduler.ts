import type { LoggerService } from '@nestjs/common';
import { type ResolvedLeafOptions } from './leaf.defaults.js';

/** The periodic work of a generator. */
export interface ScheduledWork {
  /** Cheap, synchronous look at every tag: retries and rate-based prefetch. `now` is monotonic (performance.now()). */
  tick(now: number): void;
  /** Re-reads the tag list (steps changed by an operator). */
  refreshTags(): Promise<void>;
}

/**
 * Drives `ScheduledWork` from two unref'd intervals, so a library timer never keeps a process alive, and
 * never lets an exception escape into the event loop.
 */
export class LeafScheduler {
  private tickTimer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private refreshing = false;

  constructor(
    private readonly work: ScheduledWork,
    private readonly options: ResolvedLeafOptions,
    private readonly logger: LoggerService,
  ) {}

  start(): void {
    if (this.tickTimer !== null) return;
    this.tickTimer = setInterval(() => {
      try {
        this.work.tick(performance.now());
      } catch (error) {
        this.logger.error(`Leaf scheduler tick failed: ${String(error)}`);
      }
    }, this.options.checkIntervalMs);
    this.tickTimer.unref();
    if (this.options.tagRefreshIntervalMs > 0) {
      this.refreshTimer = setInterval(() => void this.refresh(), this.options.tagRefreshIntervalMs);
      this.refreshTimer.unref();
    }
  }

  stop(): void {
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
    this.tickTimer = this.refreshTimer = null;
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      await this.work.refreshTags();
    } catch (error) {
      this.logger.warn(`Re-reading leaf_alloc failed; keeping the steps known so far: ${String(error)}`);
    } finally {
      this.refreshing = false;
    }
  }
}
