import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { KeyPrincipal, SessionPrincipal } from '@gw/accounts';
import { ProviderKeysService } from '@gw/byok';
import {
  type CreateProviderKeyBody,
  createProviderKeyBody,
  type ProviderKeyView,
  type UpdateProviderKeyBody,
  updateProviderKeyBody,
} from '@gw/contracts';
import { CurrentSession, SessionGuard } from '../auth/session.guard';
import { ZodPipe } from '../http/zod.pipe';
import { CurrentKey, GatewayKeyGuard } from '../v1/key.guard';
import { toProviderKeyView } from './provider-key.mapper';

@Controller('api/provider-keys')
@UseGuards(SessionGuard)
export class ProviderKeysController {
  constructor(@Inject(ProviderKeysService) private readonly providerKeys: ProviderKeysService) {}

  @Post()
  @HttpCode(201)
  async create(
    @CurrentSession() session: SessionPrincipal,
    @Body(new ZodPipe(createProviderKeyBody)) body: CreateProviderKeyBody,
    @Req() request: FastifyRequest,
  ): Promise<ProviderKeyView> {
    return toProviderKeyView(
      await this.providerKeys.create(session.tenantId, body, { type: 'user', id: session.userId }, request.ip),
    );
  }

  @Get()
  async list(@CurrentSession() session: SessionPrincipal): Promise<{ data: ProviderKeyView[] }> {
    return { data: (await this.providerKeys.list(session.tenantId)).map(toProviderKeyView) };
  }

  @Get(':id')
  async get(@CurrentSession() session: SessionPrincipal, @Param('id') id: string): Promise<ProviderKeyView> {
    return toProviderKeyView(await this.providerKeys.get(session.tenantId, id));
  }

  @Patch(':id')
  async update(
    @CurrentSession() session: SessionPrincipal,
    @Param('id') id: string,
    @Body(new ZodPipe(updateProviderKeyBody)) body: UpdateProviderKeyBody,
    @Req() request: FastifyRequest,
  ): Promise<ProviderKeyView> {
    return toProviderKeyView(
      await this.providerKeys.update(session.tenantId, id, body, { type: 'user', id: session.userId }, request.ip),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(
    @CurrentSession() session: SessionPrincipal,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.providerKeys.delete(session.tenantId, id, { type: 'user', id: session.userId }, request.ip);
  }
}

/** The same, under the management API, authenticated by a gateway key. */
@Controller('v1/provider-keys')
@UseGuards(GatewayKeyGuard)
export class V1ProviderKeysController {
  constructor(@Inject(ProviderKeysService) private readonly providerKeys: ProviderKeysService) {}

  @Post()
  @HttpCode(201)
  async create(
    @CurrentKey() key: KeyPrincipal,
    @Body(new ZodPipe(createProviderKeyBody)) body: CreateProviderKeyBody,
    @Req() request: FastifyRequest,
  ): Promise<ProviderKeyView> {
    return toProviderKeyView(await this.providerKeys.create(key.tenantId, body, { type: 'key', id: key.keyId }, request.ip));
  }

  @Get()
  async list(@CurrentKey() key: KeyPrincipal): Promise<{ data: ProviderKeyView[] }> {
    return { data: (await this.providerKeys.list(key.tenantId)).map(toProviderKeyView) };
  }

  @Get(':id')
  async get(@CurrentKey() key: KeyPrincipal, @Param('id') id: string): Promise<ProviderKeyView> {
    return toProviderKeyView(await this.providerKeys.get(key.tenantId, id));
  }

  @Patch(':id')
  async update(
    @CurrentKey() key: KeyPrincipal,
    @Param('id') id: string,
    @Body(new ZodPipe(updateProviderKeyBody)) body: UpdateProviderKeyBody,
    @Req() request: FastifyRequest,
  ): Promise<ProviderKeyView> {
    return toProviderKeyView(await this.providerKeys.update(key.tenantId, id, body, { type: 'key', id: key.keyId }, request.ip));
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentKey() key: KeyPrincipal, @Param('id') id: string, @Req() request: FastifyRequest): Promise<void> {
    await this.providerKeys.delete(key.tenantId, id, { type: 'key', id: key.keyId }, request.ip);
  }
}
