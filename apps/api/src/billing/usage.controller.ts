import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import type { SessionPrincipal } from '@gw/accounts';
import type { GenerationView, Page, UsageRow } from '@gw/contracts';
import { GenerationsService } from '@gw/gateway';
import { DomainError } from '@gw/kernel';
import { CurrentSession, SessionGuard } from '../auth/session.guard';
import { ZodPipe } from '../http/zod.pipe';

/** A calendar date that exists (`2026-02-30` does not: JavaScript would read it as March 2). */
function isRealDate(value: string): boolean {
  const time = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === value;
}

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a UTC date YYYY-MM-DD')
  .refine(isRealDate, 'must be a date that exists (YYYY-MM-DD)');
const usageQuery = z.strictObject({
  from: date.optional(),
  to: date.optional(),
  groupBy: z.enum(['day', 'model', 'key', 'provider']).default('day'),
});
const generationsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^gen-[A-Za-z0-9-]{1,96}$/, 'must be a cursor from a previous page')
    .optional(),
});

const DAY_MS = 86_400_000;

/** The tenant's usage views, read from the generation records (SPEC section 3). */
@Controller('api')
@UseGuards(SessionGuard)
export class UsageController {
  constructor(@Inject(GenerationsService) private readonly generations: GenerationsService) {}

  @Get('usage')
  async usage(
    @CurrentSession() session: SessionPrincipal,
    @Query(new ZodPipe(usageQuery)) query: z.infer<typeof usageQuery>,
  ): Promise<{ data: UsageRow[] }> {
    const to = query.to ?? new Date().toISOString().slice(0, 10);
    const from = query.from ?? new Date(Date.parse(to) - 29 * DAY_MS).toISOString().slice(0, 10);
    if (from > to) throw DomainError.validation('from', 'from must not be after to');
    return { data: await this.generations.usage(session.tenantId, from, to, query.groupBy) };
  }

  @Get('generations')
  async list(
    @CurrentSession() session: SessionPrincipal,
    @Query(new ZodPipe(generationsQuery)) query: z.infer<typeof generationsQuery>,
  ): Promise<Page<GenerationView>> {
    return this.generations.list(session.tenantId, query.limit, query.cursor);
  }
}
