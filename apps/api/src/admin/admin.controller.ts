import { Body, Controller, Get, Inject, Param, Patch, Post, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SessionPrincipal } from '@gw/accounts';
import { AdminService } from '@gw/admin';
import {
  type AdminAuditView,
  type AdminTenantView,
  type BillingSettingsView,
  type GrantCreditsBody,
  grantCreditsBody,
  type LedgerEntryJson,
  type PatchTenantBody,
  patchTenantBody,
  type PricingView,
  type PutPricingBody,
  putPricingBody,
  type PutSettingsBody,
  putSettingsBody,
} from '@gw/contracts';
import { AdminOnly, CurrentSession, SessionGuard } from '../auth/session.guard';
import { ZodPipe } from '../http/zod.pipe';

const tenantsQuery = z.strictObject({ search: z.string().trim().max(200).optional() });
const auditQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });

/** Admin routes (SPEC section 6); members get 403 on every one of them. */
@Controller('api/admin')
@UseGuards(SessionGuard)
@AdminOnly()
export class AdminController {
  constructor(@Inject(AdminService) private readonly admin: AdminService) {}

  @Get('tenants')
  async tenants(@Query(new ZodPipe(tenantsQuery)) query: z.infer<typeof tenantsQuery>): Promise<{ data: AdminTenantView[] }> {
    return { data: await this.admin.listTenants({ search: query.search }) };
  }

  @Patch('tenants/:id')
  async updateTenant(
    @CurrentSession() session: SessionPrincipal,
    @Param('id') id: string,
    @Body(new ZodPipe(patchTenantBody)) body: PatchTenantBody,
    @Req() request: FastifyRequest,
  ): Promise<AdminTenantView> {
    return this.admin.updateTenant(id, body, { userId: session.userId, ip: request.ip });
  }

  @Post('tenants/:id/credits')
  async grantCredits(
    @CurrentSession() session: SessionPrincipal,
    @Param('id') id: string,
    @Body(new ZodPipe(grantCreditsBody)) body: GrantCreditsBody,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ entry: LedgerEntryJson; duplicate: boolean }> {
    const result = await this.admin.grantCredits(id, body, { userId: session.userId, ip: request.ip });
    // A repeat with the same idempotency key grants nothing and answers 200 with the first entry.
    void reply.status(result.created ? 201 : 200);
    return { entry: result.entry, duplicate: !result.created };
  }

  @Get('settings')
  async settings(): Promise<BillingSettingsView> {
    return this.admin.settings();
  }

  @Put('settings')
  async putSettings(
    @CurrentSession() session: SessionPrincipal,
    @Body(new ZodPipe(putSettingsBody)) body: PutSettingsBody,
    @Req() request: FastifyRequest,
  ): Promise<BillingSettingsView> {
    return this.admin.putSettings(body, { userId: session.userId, ip: request.ip });
  }

  @Get('pricing')
  async pricing(): Promise<{ data: PricingView[] }> {
    return { data: await this.admin.pricing() };
  }

  @Put('pricing')
  async putPricing(
    @CurrentSession() session: SessionPrincipal,
    @Body(new ZodPipe(putPricingBody)) body: PutPricingBody,
    @Req() request: FastifyRequest,
  ): Promise<PricingView> {
    return this.admin.putPricing(body, { userId: session.userId, ip: request.ip });
  }

  @Get('audit')
  async audit(@Query(new ZodPipe(auditQuery)) query: z.infer<typeof auditQuery>): Promise<{ data: AdminAuditView[] }> {
    return { data: await this.admin.auditLog(query.limit) };
  }
}
