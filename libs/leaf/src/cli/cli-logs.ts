import { ConsoleLogger, Logger, type LogLevel } from '@nestjs/common';

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
 * Where the library's log lines go from now on (Nest's `Logger`, which the stores and the fence write to): with
 * `verbose`, warnings and errors on stderr; else nowhere, the command prints what it did. Never stdout, which holds
 * the command's output alone (a store's durability warning must not break `--json`).
 */
export function routeLibraryLogs(verbose: boolean): void {
  Logger.overrideLogger(verbose ? new StderrLogger({ logLevels: ['warn', 'error', 'fatal'] }) : false);
}
