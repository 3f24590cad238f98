import { Body, Controller, Get, Inject, Put, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { assertAliasRules, CatalogService } from '@gw/catalog';
import type { AliasRule } from '@gw/contracts';
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

  @Get()
  list(): { rules: readonly AliasRule[] } {
    return { rules: this.catalog.aliases() };
  }

  @Put()
  async replace(@Body(new ZodPipe(aliasesBody)) body: z.infer<typeof aliasesBody>): Promise<{ rules: readonly AliasRule[] }> {
    assertAliasRules(body.rules);
    await this.catalog.setAliases(body.rules);
    return { rules: this.catalog.aliases() };
  }
}
