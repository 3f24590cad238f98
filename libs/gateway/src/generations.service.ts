import { Inject, Injectable } from '@nestjs/common';
import type { GenerationView, Page, UsageRow } from '@gw/contracts';
import { Database, newestFirstPage, type Generation } from '@gw/db';
import { DomainError, pageOf } from '@gw/kernel';

/** Reads generation records (tenant-scoped). */
@Injectable()
export class GenerationsService {
  constructor(@Inject(Database) private readonly db: Database) {}

  async get(tenantId: string, id: string): Promise<GenerationView> {
    const row = await this.db.prisma.generation.findFirst({ where: { id, tenantId } });
    if (!row) throw new DomainError('not_found', { message: 'No such generation (records appear within a second or two).' });
    return toView(row);
  }

  /** Newest first; `cursor` is the id of the last generation of the previous page. */
  async list(tenantId: string, limit: number, cursor?: string): Promise<Page<GenerationView>> {
    // A cursor is one of this tenant's own generation ids: another's (or none) would page from a
    // position it should not be able to learn about.
    if (
      cursor !== undefined &&
      !(await this.db.prisma.generation.findFirst({ where: { id: cursor, tenantId }, select: { id: true } }))
    ) {
      throw DomainError.validation('cursor', 'cursor: is not a page cursor of this account');
    }
    const rows = await this.db.prisma.generation.findMany({
      where: { tenantId },
      ...newestFirstPage(limit, cursor),
    });
    const { page, nextCursor } = pageOf(rows, limit);
    return { data: page.map(toView), nextCursor };
  }

  /** Requests, cost and tokens per day, model, key or provider over [from, to] (UTC dates, inclusive). */
  async usage(tenantId: string, from: string, to: string, groupBy: UsageGroup): Promise<UsageRow[]> {
    const group = USAGE_GROUPS[groupBy];
    const { rows } = await this.db.pool.query<{
      grp: string;
      requests: string;
      cost: string;
      prompt: string;
      completion: string;
    }>(
      `SELECT ${group} AS grp, count(*)::text AS requests, sum(cost_micros)::text AS cost,
              sum(prompt_tokens)::text AS prompt, sum(completion_tokens)::text AS completion
         FROM generations
        WHERE tenant_id = $1 AND created_at >= $2::date AND created_at < ($3::date + 1)
        GROUP BY 1 ORDER BY 1`,
      [tenantId, from, to],
    );
    return rows.map((r) => ({
      group: r.grp,
      requests: Number(r.requests),
      cost: Number(BigInt(r.cost)) / 1e6,
      promptTokens: Number(r.prompt),
      completionTokens: Number(r.completion),
    }));
  }
}

export type UsageGroup = 'day' | 'model' | 'key' | 'provider';

// Fixed SQL per grouping (never built from input).
const USAGE_GROUPS: Record<UsageGroup, string> = {
  day: "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
  model: 'model',
  key: 'key_id::text',
  provider: "coalesce(provider, 'none')",
};

function toView(row: Generation): GenerationView {
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
