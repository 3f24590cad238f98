import 'reflect-metadata';
import { createServer, type RequestListener, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { KeyAuthService } from '@gw/accounts';
import type { Config } from '@gw/config';
import { ChatService } from '@gw/gateway';
import { DomainError, renderError } from '@gw/kernel';
import { AppModule } from './app.module';
import { dashboardDir } from './dashboard/dashboard-files';
import { ErrorFilter } from './http/error.filter';
import { assertJsonDepth, parseJsonText } from './http/json-body';
import { createLogger, PinoNestLogger } from './http/logger';
import { requestIdOf } from './http/request-id';
import { ChatRoute } from './v1/chat-route';

interface ServerSettings {
  readonly keepAliveTimeout?: number;
  readonly requestTimeout?: number;
  readonly connectionTimeout?: number;
}

export interface CreateAppOptions {
  logger?: Logger;
}

/** Builds the HTTP application (used by main.ts and by the integration tests). */
export async function createApp(config: Config, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createLogger(config);
  // Set once the application exists; until then every request goes to Fastify.
  const ahead: { chat?: ChatRoute } = {};
  const adapter = new FastifyAdapter({
    // The chat route is served ahead of Fastify (see ChatRoute); the rest keeps Fastify's server settings.
    serverFactory: (handler: RequestListener, serverOptions: ServerSettings) => {
      const server = createServer((req, res) => {
        const chat = ahead.chat;
        if (chat?.matches(req)) chat.handle(req, res);
        else handler(req, res);
      });
      if (serverOptions.keepAliveTimeout !== undefined) server.keepAliveTimeout = serverOptions.keepAliveTimeout;
      if (serverOptions.requestTimeout !== undefined) server.requestTimeout = serverOptions.requestTimeout;
      if (serverOptions.connectionTimeout !== undefined) server.setTimeout(serverOptions.connectionTimeout);
      return server;
    },
    // Fastify's own request logging is off; the onRequest hook below writes one line per request.
    logger: false,
    trustProxy: config.TRUST_PROXY,
    bodyLimit: config.MAX_BODY_BYTES,
    genReqId: requestIdOf,
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    // Errors Fastify's router raises before any route (a malformed percent-encoding in the URL).
    frameworkErrors: (_error: Error, _request: FastifyRequest, reply: FastifyReply) => {
      void reply
        .status(400)
        .header('content-type', 'application/json; charset=utf-8')
        .send(renderError(new DomainError('bad_request', { message: 'The URL is malformed (bad percent-encoding).' })));
    },
  });
  const fastify = adapter.getInstance();
  // JSON only: a text/plain body gets 415 instead of reaching a handler as a string.
  fastify.removeContentTypeParser('text/plain');
  // JSON with prototype-poisoning checks, as Fastify's own parser; but an empty body is no body,
  // since many clients send `content-type: application/json` on a POST or DELETE without one.
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      const value = parseJsonText(text);
      assertJsonDepth(value);
      done(null, value);
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  // /v1 takes large prompts (MAX_BODY_BYTES); the dashboard API needs far less.
  fastify.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1')) route.bodyLimit = config.API_MAX_BODY_BYTES;
  });
  // One log line per request, the path only (query strings stay out of logs). Logged when the
  // socket side finishes, so streamed /v1 answers (written to the raw response) are logged too.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    const started = process.hrtime.bigint();
    reply.raw.once('close', () => {
      logger.info(
        {
          reqId: request.id,
          method: request.method,
          path: request.url.split('?')[0],
          status: reply.raw.statusCode,
          ms: Math.round(Number(process.hrtime.bigint() - started) / 10_000) / 100,
          aborted: !reply.raw.writableFinished,
        },
        'request',
      );
    });
    done();
  });

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // The JSON parser is the one registered above.
    bodyParser: false,
  });
  await app.register(fastifyCookie);
  // The dashboard's build, sent with reply.sendFile by DashboardController: routing stays with Nest,
  // so API 404s keep their JSON shape and page paths fall back to index.html.
  await app.register(fastifyStatic, { root: dashboardDir(), serve: false });
  app.useGlobalFilters(new ErrorFilter(logger));
  const route = new ChatRoute({
    maxBodyBytes: config.MAX_BODY_BYTES,
    logger,
    keys: app.get(KeyAuthService),
    chat: app.get(ChatService),
  });
  fastify.addHook('preClose', (done) => {
    route.close();
    done();
  });
  ahead.chat = route;
  return app;
}

/**
 * What Node's HTTP parser refuses before any route sees the request (headers over the size
 * limit, a malformed request line, a request that took too long) gets the same JSON error as
 * every other failure, then the connection closes.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const domain = new DomainError(
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'headers_too_large'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'request_timeout'
        : 'bad_request',
  );
  const body = JSON.stringify(renderError(domain));
  socket.end(
    `HTTP/1.1 ${String(domain.status)} ${STATUS_CODES[domain.status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${String(Buffer.byteLength(body))}\r\nconnection: close\r\n\r\n${body}`,
  );
}
