import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { OpaqueIdCodec } from 'nest-leaf';
import type { DemoConfigService } from '../config/demo.config.js';

/**
 * The public form of order IDs, for URLs: `GET /orders/public/3kTMd92jFqA` rather than `/orders/1042`, so a link
 * does not tell how many orders came in before or since. A keyed bijection (`OpaqueIdCodec`), not an access check.
 */
@Injectable()
export class OrderPublicIds {
  private readonly codec: OpaqueIdCodec;

  constructor(@Inject(ConfigService) config: DemoConfigService) {
    const { urlSecret, urlSecretIsDefault } = config.get('orders', { infer: true });
    this.codec = new OpaqueIdCodec(urlSecret);
    if (urlSecretIsDefault && config.get('production', { infer: true })) {
      new Logger(OrderPublicIds.name).warn(
        'ORDER_URL_SECRET is not set: the public order IDs are made with the development secret in the sources, ' +
          'so anyone can turn them back into order IDs. Set ORDER_URL_SECRET (openssl rand -base64 32) and keep it: ' +
          'changing it changes every public order URL.',
      );
    }
  }

  /** The 11-character code of an order ID. */
  encode(id: bigint): string {
    return this.codec.encode(id);
  }

  /**
   * The order ID a code stands for (whether or not that order exists).
   * @throws InvalidArgumentError (a 400 with the library's message) when it is not a code at all
   */
  decode(publicId: string): bigint {
    return this.codec.decode(publicId);
  }
}
