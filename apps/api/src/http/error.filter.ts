import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { DomainError, type ErrorCode, renderError } from '@gw/kernel';

interface FastifyErrorLike {
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
}

/**
 * The one place errors become HTTP. Domain errors render from the error table; framework errors
 * (bad JSON, body too large, unknown route) map onto domain codes; anything else is a 500 with a
 * request id, logged once, with nothing internal in the body.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const error = this.toDomainError(exception, request);
    if (error.code === 'internal') {
      this.logger.error({ reqId: request.id, err: exception }, 'unhandled error');
    }
    if (reply.sent) return;
    for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
    void reply.status(error.status).header('content-type', 'application/json; charset=utf-8').send(renderError(error));
  }

  private toDomainError(exception: unknown, request: FastifyRequest): DomainError {
    if (exception instanceof DomainError) return exception;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) {
        return new DomainError('route_not_found', {
          message: `No route for ${request.method} ${request.url.split('?')[0] ?? ''}.`,
        });
      }
      return new DomainError(codeForStatus(status));
    }
    const framework = exception as FastifyErrorLike;
    if (typeof framework.statusCode === 'number' && framework.statusCode >= 400 && framework.statusCode < 500) {
      return fromFrameworkError(framework.statusCode, typeof framework.code === 'string' ? framework.code : '');
    }
    return new DomainError('internal', { metadata: { request_id: request.id } });
  }
}

function fromFrameworkError(status: number, code: string): DomainError {
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError('payload_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError('unsupported_media_type');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new DomainError('invalid_json');
    default:
      // Fastify's JSON parser reports syntax errors without a code.
      return status === 400 ? new DomainError('invalid_json') : new DomainError(codeForStatus(status));
  }
}

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return status >= 400 && status < 500 ? 'bad_request' : 'internal';
  }
}
