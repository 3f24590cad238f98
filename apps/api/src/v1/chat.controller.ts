import { Controller, Get, HttpCode, Inject, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import type { KeyPrincipal } from '@gw/accounts';
import { CatalogService } from '@gw/catalog';
import type { GenerationView, ModelView } from '@gw/contracts';
import { GenerationsService } from '@gw/gateway';
import { ZodPipe } from '../http/zod.pipe';
import { CurrentKey, GatewayKeyGuard } from './key.guard';

/** The catalogue and generation look-ups; `POST /v1/chat/completions` is ChatRoute, ahead of the framework. */
@Controller('v1')
export class ChatController {
  constructor(
    @Inject(CatalogService) private readonly catalog: CatalogService,
    @Inject(GenerationsService) private readonly generations: GenerationsService,
  ) {}

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
