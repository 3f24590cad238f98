import { type CanActivate, createParamDecorator, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { KeyAuthService, type KeyPrincipal } from '@gw/accounts';
import { DomainError } from '@gw/kernel';

interface KeyRequest extends FastifyRequest {
  gatewayKey?: KeyPrincipal;
}

/** Authenticates /v1 routes by gateway key; 401 in the SPEC error shape otherwise. */
@Injectable()
export class GatewayKeyGuard implements CanActivate {
  constructor(@Inject(KeyAuthService) private readonly keys: KeyAuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<KeyRequest>();
    request.gatewayKey = await this.keys.authenticate(request.headers.authorization);
    return true;
  }
}

export const CurrentKey = createParamDecorator((_: unknown, context: ExecutionContext): KeyPrincipal => {
  const key = context.switchToHttp().getRequest<KeyRequest>().gatewayKey;
  if (!key) throw new DomainError('invalid_api_key');
  return key;
});
