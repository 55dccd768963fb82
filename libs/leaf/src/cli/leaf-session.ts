import { ConsoleLogger, Logger, type LogLevel } from '@nestjs/common';
import { IdGenerator } from '../id-generator.js';
import { LeafAdmin } from '../leaf.admin.js';
import type { ResolvedLeafOptions } from '../leaf.defaults.js';
import { resolveLeafOptions } from '../leaf.options.js';
import type { LeafStore } from '../store/leaf-store.js';

/** The library's logs on stderr, so that stdout holds only the command's output (`--json` stays parseable). */
class StderrLogger extends ConsoleLogger {
  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _stream?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack, params);
  }
}

/**
 * The module's defaults with no tag configured: the CLI serves none, so every row is "a row no `bizTags` entry
 * covers" (the default `failoverSkip`, or `--skip`). `resolveLeafOptions` asks for a tag, which is dropped.
 */
export function cliOptions(): ResolvedLeafOptions {
  return { ...resolveLeafOptions({ bizTags: ['nest-leaf-cli'] }), bizTags: [] };
}

/**
 * `LeafAdmin` over the store, as `LeafModule` builds it but without an app: `create-tag`, `set-step` and `fence` run
 * the library's own checks and messages, not a copy of them. Its generator is never started (it reserves nothing).
 * `verbose`: the library's warnings on stderr; else none, the command prints what it did.
 */
export function adminOf(store: LeafStore, verbose: boolean): LeafAdmin {
  Logger.overrideLogger(verbose ? new StderrLogger({ logLevels: ['warn', 'error', 'fatal'] }) : false);
  const options = cliOptions();
  return new LeafAdmin(options, store, new IdGenerator(options, store));
}
