import { type CanActivate, createParamDecorator, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AccountsService, looksLikeSessionToken, type SessionPrincipal } from '@gw/accounts';
import { DomainError, Secret } from '@gw/kernel';

export const SESSION_COOKIE = 'gw_session';

const ALLOW_DISABLED_TENANT = 'allowDisabledTenant';
const ADMIN_ONLY = 'adminOnly';
/** The route stays open to users of a disabled tenant (only /api/me). */
export const AllowDisabledTenant = () => SetMetadata(ALLOW_DISABLED_TENANT, true);
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);

interface SessionRequest extends FastifyRequest {
  session?: SessionPrincipal;
  sessionToken?: Secret<string>;
}

/** The session token from the cookie or from `Authorization: Bearer`. */
export function sessionTokenOf(request: FastifyRequest): Secret<string> | null {
  const authorization = request.headers.authorization;
  const bearer = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
  const candidate = bearer ?? request.cookies[SESSION_COOKIE];
  return candidate && looksLikeSessionToken(candidate) ? new Secret(candidate) : null;
}

@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    @Inject(AccountsService) private readonly accounts: AccountsService,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<SessionRequest>();
    const token = sessionTokenOf(request);
    const principal = token ? await this.accounts.authenticate(token) : null;
    if (!token || !principal) throw new DomainError('unauthenticated');
    const flag = (key: string) =>
      Boolean(this.reflector.getAllAndOverride<boolean | undefined>(key, [context.getHandler(), context.getClass()]));
    if (principal.tenantDisabled && !flag(ALLOW_DISABLED_TENANT)) throw new DomainError('tenant_disabled');
    if (flag(ADMIN_ONLY) && principal.role !== 'admin') throw new DomainError('forbidden', { message: 'Admins only.' });
    request.session = principal;
    request.sessionToken = token;
    return true;
  }
}

export const CurrentSession = createParamDecorator((_: unknown, context: ExecutionContext): SessionPrincipal => {
  const session = context.switchToHttp().getRequest<SessionRequest>().session;
  if (!session) throw new DomainError('unauthenticated');
  return session;
});
