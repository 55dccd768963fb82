import { messageOf } from './error-message.js';

/** Driver error codes by what they mean for an operator (mysql2, pg, Node's net, ioredis). */
const KINDS: ReadonlyArray<readonly [string, ReadonlyArray<string | number>]> = [
  ['connection refused (is the server up, and listening at that address?)', ['ECONNREFUSED']],
  ['unknown host (check the host name and DNS)', ['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME']],
  [
    'lock wait or statement timeout (another transaction holds the leaf_alloc row, or the server is overloaded)',
    // MySQL/MariaDB lock wait, MariaDB max_statement_time, MySQL max_execution_time; PostgreSQL lock_not_available,
    // query_canceled (statement_timeout)
    [1205, 1969, 3024, '55P03', '57014'],
  ],
  [
    'connection lost (the network or the server dropped it)',
    ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'EHOSTUNREACH', 'ENETUNREACH'],
  ],
];

/**
 * What a failed store call means, named from the driver's error: "connection refused", "unknown host", "lock wait
 * or statement timeout", "connection lost", or "no answer within reservationTimeoutMs" for the library's own
 * deadline. Undefined when the error says nothing recognisable.
 */
export function storeFailureKind(error: unknown): string | undefined {
  for (const code of codesOf(error)) {
    for (const [kind, codes] of KINDS) if (codes.includes(code)) return kind;
  }
  if (messageOf(error).includes('within reservationTimeoutMs')) {
    return 'no answer within reservationTimeoutMs (a slow or stalled server, a network that drops packets, or a lock)';
  }
  return undefined;
}

/** The error's message, led by what it means when that can be told: for logs and `LeafUnavailableError`. */
export function describeStoreFailure(error: unknown): string {
  const kind = storeFailureKind(error);
  const message = messageOf(error);
  return kind === undefined ? message : `${kind.split(' (')[0]}: ${message}`;
}

/** The codes on an error, its driver error (TypeORM's QueryFailedError) and its first inner error (AggregateError). */
function codesOf(error: unknown): Array<string | number> {
  const codes: Array<string | number> = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown) => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    const { code, errno, driverError, errors, cause } = value as Record<string, unknown>;
    if (typeof code === 'string' || typeof code === 'number') codes.push(code);
    if (typeof errno === 'number') codes.push(errno);
    visit(driverError);
    if (Array.isArray(errors)) visit(errors[0]);
    visit(cause);
  };
  visit(error);
  return codes;
}
