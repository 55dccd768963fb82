import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DemoConfigService } from '../config/demo.config.js';

/**
 * Lets requests that were in flight when shutdown began finish before the ID generator and the database close.
 *
 * Nest runs `onModuleDestroy` from the root module down, so this (in AppModule) runs before `IdGenerator`'s,
 * which would otherwise refuse IDs to requests already accepted. New requests are turned away meanwhile by
 * the `return503OnClosing` option; the HTTP server itself closes after the destroy hooks.
 */
@Injectable()
export class RequestDrain implements OnModuleDestroy {
  private readonly logger = new Logger(RequestDrain.name);
  private inFlight = 0;
  private idle: (() => void) | null = null;

  constructor(@Inject(ConfigService) private readonly config: DemoConfigService) {}

  /**
   * Middleware counting a request from its arrival (before its body is read) to its end. On Node's own request and
   * response, which Express passes to middleware and Fastify too (through @fastify/middie).
   */
  readonly track = (_request: IncomingMessage, response: ServerResponse, next: () => void): void => {
    this.inFlight++;
    let done = false;
    response.once('close', () => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (this.inFlight === 0) this.idle?.();
    });
    next();
  };

  get pending(): number {
    return this.inFlight;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.inFlight === 0) return;
    const { shutdownTimeoutMs } = this.config.get('http', { infer: true });
    this.logger.log(
      `Shutting down: waiting for ${this.inFlight} request(s) in flight (at most ${shutdownTimeoutMs} ms).`,
    );
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<true>((resolve) => (this.idle = () => resolve(true))),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), shutdownTimeoutMs))),
    ]);
    clearTimeout(timer);
    this.idle = null;
    if (!drained)
      this.logger.warn(`${this.inFlight} request(s) still in flight after ${shutdownTimeoutMs} ms; closing anyway.`);
  }
}
