import {
  createParamDecorator,
  Inject,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ClientTokens } from './client-tokens.js';
import { LEAF_SERVER_OPTIONS } from './leaf-server.constants.js';
import { LeafServerContext } from './leaf-server.context.js';
import type { ResolvedLeafServerClient, ResolvedLeafServerOptions } from './leaf-server.options.js';
import { LeafServerHttpError } from './server-errors.js';

/**
 * Who may call a route:
 * - `leaf-get`: Leaf's GET route: a client allowed the route's tag, or anyone when `anonymousGet` allows it;
 * - `tag`: a client allowed the route's tag;
 * - `client`: any client (the route checks what the body names);
 * - `admin`: an admin client allowed the route's tag.
 */
export type LeafServerAccess = 'leaf-get' | 'tag' | 'client' | 'admin';

/** Who made a request: a client, or (`client` null) an anonymous caller of Leaf's GET route. */
export interface LeafServerCaller {
  /** For messages and for the per-client cap of unknown tags: `client "billing"`, `anonymous callers`. */
  readonly label: string;
  readonly client: ResolvedLeafServerClient | null;
}

const ACCESS = 'nest-leaf:server-access';
const ANONYMOUS: LeafServerCaller = { label: 'anonymous callers', client: null };
/** `Authorization: Bearer <token>` (RFC 6750: the scheme is case-insensitive). */
const BEARER = /^Bearer +(\S+) *$/i;
/** The caller of each request in flight, set by the guard for the handler; gone with the request. */
const callers = new WeakMap<object, LeafServerCaller>();

/** Declares who may call a route; a route without it is admin-only (the strictest). */
export const Access = (access: LeafServerAccess) => SetMetadata(ACCESS, access);

/** The caller the guard let in, as a handler parameter. */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): LeafServerCaller => {
  const caller = callers.get(context.switchToHttp().getRequest<object>());
  if (caller === undefined) throw new Error('@Caller() used on a route without ServerAuthGuard');
  return caller;
});

interface RequestLike {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly params?: Readonly<Record<string, string | undefined>>;
}

/**
 * Lets a request in when its bearer token is a configured client's (compared in constant time, `ClientTokens`),
 * its tags reach the row of the route (`:key`, decided by `TagAccess`) and, for admin routes, it is an admin. Only
 * Leaf's GET route can be opened to callers without a token, by `anonymousGet`. Works on the request of Express and
 * of Fastify alike: it reads only `headers` and `params`.
 */
@Injectable()
export class ServerAuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(LEAF_SERVER_OPTIONS) private readonly options: ResolvedLeafServerOptions,
    @Inject(ClientTokens) private readonly tokens: ClientTokens,
    @Inject(LeafServerContext) private readonly ctx: LeafServerContext,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const access = this.reflector.get<LeafServerAccess | undefined>(ACCESS, context.getHandler()) ?? 'admin';
    const request = context.switchToHttp().getRequest<RequestLike>();
    const bizTag = request.params?.key;
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      const anonymous = this.options.anonymousGet;
      const open = anonymous !== false && bizTag !== undefined && this.ctx.access.allows(anonymous, bizTag);
      if (access === 'leaf-get' && open) {
        callers.set(request, ANONYMOUS);
        return true;
      }
      throw LeafServerHttpError.unauthorized(
        'No bearer token: send "Authorization: Bearer <token>" with the token of a client configured in ' +
          "LeafServerModule's clients." +
          (access === 'leaf-get' ? ' (This tag is not open to anonymous callers: see anonymousGet.)' : ''),
      );
    }
    const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    if (token === undefined) {
      throw LeafServerHttpError.unauthorized('The Authorization header must be "Bearer <token>".');
    }
    const client = this.tokens.find(token);
    if (client === undefined) {
      throw LeafServerHttpError.unauthorized(
        "The bearer token is not the token of any client in LeafServerModule's clients: check the token the " +
          'caller was given (HttpLeafStore token) against the server configuration.',
      );
    }
    if (bizTag !== undefined && !this.ctx.access.allows(client.tags, bizTag)) {
      throw LeafServerHttpError.tagNotAllowed(client.name, bizTag);
    }
    if (access === 'admin' && !client.admin) {
      throw LeafServerHttpError.forbidden(
        `Client "${client.name}" is not an admin: inserting rows and setting steps need a client with admin: true.`,
      );
    }
    callers.set(request, { label: `client "${client.name}"`, client });
    return true;
  }
}
