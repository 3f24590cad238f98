import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@gw/db';
import { DomainError } from '@gw/kernel';

export interface GenerationView {
  id: string;
  model: string;
  requested_model: string;
  provider: string | null;
  is_byok: boolean;
  fallback: boolean;
  attempts: unknown;
  tokens_prompt: number;
  tokens_completion: number;
  cost: number;
  upstream_inference_cost: number;
  latency_ms: number;
  ttfb_ms: number | null;
  status: string;
  streamed: boolean;
  app_referer: string | null;
  app_title: string | null;
  created_at: string;
}

/** Reads generation records (tenant-scoped). */
@Injectable()
export class GenerationsService {
  constructor(@Inject(Database) private readonly db: Database) {}

  async get(tenantId: string, id: string): Promise<GenerationView> {
    const row = await this.db.prisma.generation.findFirst({ where: { id, tenantId } });
    if (!row) throw new DomainError('not_found', { message: 'No such generation (records appear within a second or two).' });
    return {
      id: row.id,
      model: row.model,
      requested_model: row.requestedModel,
      provider: row.provider,
      is_byok: row.isByok,
      fallback: row.fallback,
      attempts: row.attempts,
      tokens_prompt: row.promptTokens,
      tokens_completion: row.completionTokens,
      cost: Number(row.costMicros) / 1e6,
      upstream_inference_cost: Number(row.upstreamCostMicros) / 1e6,
      latency_ms: row.latencyMs,
      ttfb_ms: row.ttfbMs,
      status: row.status,
      streamed: row.streamed,
      app_referer: row.appReferer,
      app_title: row.appTitle,
      created_at: row.createdAt.toISOString(),
    };
  }
}
