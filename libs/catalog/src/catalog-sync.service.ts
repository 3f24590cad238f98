import { Inject, Injectable } from '@nestjs/common';
import { request } from 'undici';
import { CONFIG, type Config } from '@gw/config';
import { Database } from '@gw/db';
import { CatalogService } from './catalog.service';
import { parseOpenRouterModels } from './openrouter-models';

export interface SyncResult {
  readonly added: number;
  readonly updated: number;
}

const TIMEOUT_MS = 30_000;
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * Refreshes the catalogue from OpenRouter's `GET /models` (when OPENROUTER_API_KEY is set): new
 * models are added with an OpenRouter endpoint; known ones get the current context length and
 * price, except prices an admin set (never overwritten). One INSERT … ON CONFLICT in id order, so
 * several workers running it at once neither duplicate nor deadlock.
 */
@Injectable()
export class CatalogSync {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CatalogService) private readonly catalog: CatalogService,
  ) {}

  async syncOpenRouter(): Promise<SyncResult | null> {
    const apiKey = this.config.OPENROUTER_API_KEY;
    if (!apiKey) return null;
    const response = await request(`${this.config.OPENROUTER_BASE_URL.replace(/\/+$/, '')}/models`, {
      headers: { authorization: `Bearer ${apiKey}`, 'user-agent': this.config.UPSTREAM_USER_AGENT },
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`OpenRouter's model list answered ${String(response.statusCode)}`);
    }
    const length = Number(response.headers['content-length'] ?? 0);
    if (length > MAX_BYTES) {
      await response.body.dump();
      throw new Error('the model list is too large');
    }
    const models = parseOpenRouterModels(await response.body.json()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (models.length === 0) return { added: 0, updated: 0 };
    const { rows } = await this.db.pool.query<{ inserted: boolean }>(
      `INSERT INTO catalog_models AS c (id, name, context_length, prompt_micros_per_mtok, completion_micros_per_mtok, endpoints, updated_at)
       SELECT m.id, m.name, m.context_length, m.prompt, m.completion,
              jsonb_build_array(jsonb_build_object('provider', 'openrouter', 'upstreamModel', m.id)), now()
         FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::bigint[])
           AS m(id, name, context_length, prompt, completion)
       ON CONFLICT (id) DO UPDATE SET
         context_length = EXCLUDED.context_length,
         prompt_micros_per_mtok = CASE WHEN c.price_overridden THEN c.prompt_micros_per_mtok
                                       ELSE coalesce(EXCLUDED.prompt_micros_per_mtok, c.prompt_micros_per_mtok) END,
         completion_micros_per_mtok = CASE WHEN c.price_overridden THEN c.completion_micros_per_mtok
                                           ELSE coalesce(EXCLUDED.completion_micros_per_mtok, c.completion_micros_per_mtok) END,
         endpoints = CASE WHEN c.endpoints @> '[{"provider": "openrouter"}]'::jsonb THEN c.endpoints
                          ELSE c.endpoints || EXCLUDED.endpoints END,
         updated_at = now()
       RETURNING (xmax = 0) AS inserted`,
      [
        models.map((m) => m.id),
        models.map((m) => m.name),
        models.map((m) => m.contextLength),
        models.map((m) => m.promptMicrosPerMTok?.toString() ?? null),
        models.map((m) => m.completionMicrosPerMTok?.toString() ?? null),
      ],
    );
    await this.catalog.refresh();
    const added = rows.filter((row) => row.inserted).length;
    return { added, updated: rows.length - added };
  }
}
