import { Body, Controller, Get, Inject, Put, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { CatalogService } from '@gw/catalog';
import type { AliasRule } from '@gw/contracts';
import { DomainError } from '@gw/kernel';
import { validateAliasRules } from '@gw/routing';
import { AdminOnly, SessionGuard } from '../auth/session.guard';
import { ZodPipe } from '../http/zod.pipe';

const aliasesBody = z.strictObject({
  rules: z.array(z.strictObject({ pattern: z.string().min(1).max(500), replacement: z.string().min(1).max(500) })).max(200),
});

/** Admin alias rules: regex -> model name, applied before routing (`^gpt-(.*)` -> `openrouter:openai/gpt-\1`). */
@Controller('api/admin/aliases')
@UseGuards(SessionGuard)
@AdminOnly()
export class AliasesController {
  constructor(@Inject(CatalogService) private readonly catalog: CatalogService) {}

  /** `rules` as PUT takes them, and the same list as `data`, the shape of every other list. */
  @Get()
  list(): AliasList {
    const rules = this.catalog.aliases();
    return { rules, data: rules };
  }

  @Put()
  async replace(@Body(new ZodPipe(aliasesBody)) body: z.infer<typeof aliasesBody>): Promise<AliasList> {
    const problem = validateAliasRules(body.rules)[0];
    if (problem) throw DomainError.validation(problem.field, `${problem.field}: ${problem.message}`);
    await this.catalog.setAliases(body.rules);
    const rules = this.catalog.aliases();
    return { rules, data: rules };
  }
}

interface AliasList {
  readonly rules: readonly AliasRule[];
  readonly data: readonly AliasRule[];
}
