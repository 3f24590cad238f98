import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { GatewayKeysService, type SessionPrincipal } from '@gw/accounts';
import {
  type CreatedGatewayKey,
  type CreateKeyBody,
  createKeyBody,
  type GatewayKeyView,
  type UpdateKeyBody,
  updateKeyBody,
} from '@gw/contracts';
import { CurrentSession, SessionGuard } from '../auth/session.guard';
import { ZodPipe } from '../http/zod.pipe';
import { toCreatedKeyView, toKeyView } from './key.mapper';

@Controller('api/keys')
@UseGuards(SessionGuard)
export class KeysController {
  constructor(@Inject(GatewayKeysService) private readonly keys: GatewayKeysService) {}

  @Post()
  @HttpCode(201)
  async create(
    @CurrentSession() session: SessionPrincipal,
    @Body(new ZodPipe(createKeyBody)) body: CreateKeyBody,
    @Req() request: FastifyRequest,
  ): Promise<CreatedGatewayKey> {
    return toCreatedKeyView(
      await this.keys.create(session.tenantId, body, { kind: 'session', userId: session.userId }, request.ip),
    );
  }

  @Get()
  async list(@CurrentSession() session: SessionPrincipal): Promise<{ data: GatewayKeyView[] }> {
    return { data: (await this.keys.list(session.tenantId)).map(toKeyView) };
  }

  @Get(':id')
  async get(@CurrentSession() session: SessionPrincipal, @Param('id') id: string): Promise<GatewayKeyView> {
    return toKeyView(await this.keys.get(session.tenantId, id));
  }

  @Patch(':id')
  async update(
    @CurrentSession() session: SessionPrincipal,
    @Param('id') id: string,
    @Body(new ZodPipe(updateKeyBody)) body: UpdateKeyBody,
  ): Promise<GatewayKeyView> {
    return toKeyView(await this.keys.update(session.tenantId, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentSession() session: SessionPrincipal, @Param('id') id: string): Promise<void> {
    await this.keys.revoke(session.tenantId, id);
  }
}
