import type { FastifyRequest } from 'fastify';
import type { ClientMeta } from '@gw/accounts';

export function clientMeta(request: FastifyRequest): ClientMeta {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : null };
}
