import { Controller, Get, HttpCode, Inject, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { KeyPrincipal } from '@gw/accounts';
import { CatalogService } from '@gw/catalog';
import { type ChatRequestBody, chatRequestBody, type GenerationView, type ModelView } from '@gw/contracts';
import { ChatService, GenerationsService } from '@gw/gateway';
import { DomainError } from '@gw/kernel';
import { ZodPipe } from '../http/zod.pipe';
import { CurrentKey, GatewayKeyGuard } from './key.guard';
import { RawResponseSink } from './raw-sink';

const MAX_JSON_DEPTH = 64;

function jsonDepth(value: unknown, depth = 0): number {
  if (depth > MAX_JSON_DEPTH || typeof value !== 'object' || value === null) return depth;
  let max = depth;
  for (const child of Object.values(value)) max = Math.max(max, jsonDepth(child, depth + 1));
  return max;
}

function header(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text ? text.slice(0, 512) : null;
}

@Controller('v1')
export class ChatController {
  constructor(
    @Inject(ChatService) private readonly chat: ChatService,
    @Inject(CatalogService) private readonly catalog: CatalogService,
    @Inject(GenerationsService) private readonly generations: GenerationsService,
  ) {}

  @Post('chat/completions')
  @UseGuards(GatewayKeyGuard)
  async complete(@CurrentKey() key: KeyPrincipal, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (jsonDepth(request.body) > MAX_JSON_DEPTH) {
      throw DomainError.validation('', `The body nests deeper than ${String(MAX_JSON_DEPTH)} levels.`);
    }
    const body: ChatRequestBody = new ZodPipe(chatRequestBody).transform(request.body);
    if (!body.model && !body.models) throw DomainError.validation('model', 'model: is required');
    const abort = new AbortController();
    // The client hung up before the answer was complete: stop the upstream at once.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    const sink = new RawResponseSink(reply, request.id);
    await this.chat.complete(
      key,
      body,
      {
        requestId: request.id,
        appReferer: header(request, 'http-referer') ?? header(request, 'referer'),
        appTitle: header(request, 'x-openrouter-title') ?? header(request, 'x-title'),
      },
      sink,
      abort.signal,
    );
  }

  /** The catalogue in OpenRouter's shape; needs no key. */
  @Get('models')
  models(): { data: ModelView[] } {
    const perToken = (micros: bigint) => (Number(micros) / 1e12).toFixed(12).replace(/0+$/, '').replace(/\.$/, '');
    return {
      data: this.catalog.list().map((model) => ({
        id: model.id,
        name: model.name,
        context_length: model.contextLength,
        pricing: model.price
          ? { prompt: perToken(model.price.promptMicrosPerMTok), completion: perToken(model.price.completionMicrosPerMTok) }
          : { prompt: '-1', completion: '-1' },
        endpoints: model.endpoints.map((e) => e.provider),
        supported_parameters: model.supportsTools ? ['tools', 'tool_choice'] : [],
      })),
    };
  }

  @Get('generation')
  @HttpCode(200)
  @UseGuards(GatewayKeyGuard)
  async generation(
    @CurrentKey() key: KeyPrincipal,
    @Query(new ZodPipe(z.strictObject({ id: z.string().min(1).max(100) }))) query: { id: string },
  ): Promise<{ data: GenerationView }> {
    return { data: await this.generations.get(key.tenantId, query.id) };
  }
}
