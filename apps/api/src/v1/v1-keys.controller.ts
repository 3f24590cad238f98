import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { GatewayKeysService, type KeyPrincipal } from '@gw/accounts';
import { CreditStore } from '@gw/billing';
import {
  type CreatedGatewayKey,
  type CreateKeyBody,
  createKeyBody,
  type GatewayKeyView,
  type UpdateKeyBody,
  updateKeyBody,
} from '@gw/contracts';
import { DomainError, microsToUsd } from '@gw/kernel';
import { ZodPipe } from '../http/zod.pipe';
import { toCreatedKeyView, toKeyView } from '../keys/key.mapper';
import { CurrentKey, GatewayKeyGuard } from './key.guard';

interface CurrentKeyInfo {
  label: string;
  usage: number;
  limit: number | null;
  limit_remaining: number | null;
  rate_limit: { requests: number; interval: '1m' } | null;
}

/**
 * The management API: what /api/keys does, authenticated by a gateway key (OpenRouter's /v1/keys).
 * A key with a limit of its own (`creditLimit` or `rateLimitRpm`) may read but not create, change
 * or revoke keys: else it could lift its own limit or mint an unlimited sibling.
 */
@Controller('v1')
@UseGuards(GatewayKeyGuard)
export class V1KeysController {
  constructor(
    @Inject(GatewayKeysService) private readonly keys: GatewayKeysService,
    @Inject(CreditStore) private readonly credits: CreditStore,
  ) {}

  /** The calling key itself, in OpenRouter's shape: usage includes charges not yet posted; open reservations count against the limit. */
  @Get('key')
  async current(@CurrentKey() key: KeyPrincipal): Promise<{ data: CurrentKeyInfo }> {
    const spend = await this.credits.keySpend(key.keyId);
    const remaining = key.creditLimit === null ? null : key.creditLimit - spend.spentMicros - spend.heldMicros;
    return {
      data: {
        label: key.name,
        usage: microsToUsd(spend.spentMicros),
        limit: key.creditLimit === null ? null : microsToUsd(key.creditLimit),
        limit_remaining: remaining === null ? null : microsToUsd(remaining > 0n ? remaining : 0n),
        rate_limit: key.rateLimitRpm === null ? null : { requests: key.rateLimitRpm, interval: '1m' },
      },
    };
  }

  @Get('keys')
  async list(@CurrentKey() key: KeyPrincipal): Promise<{ data: GatewayKeyView[] }> {
    return { data: (await this.keys.list(key.tenantId)).map(toKeyView) };
  }

  @Post('keys')
  @HttpCode(201)
  async create(
    @CurrentKey() key: KeyPrincipal,
    @Body(new ZodPipe(createKeyBody)) body: CreateKeyBody,
    @Req() request: FastifyRequest,
  ): Promise<CreatedGatewayKey> {
    assertUnlimited(key);
    return toCreatedKeyView(await this.keys.create(key.tenantId, body, { kind: 'key', principal: key }, request.ip));
  }

  @Get('keys/:id')
  async get(@CurrentKey() key: KeyPrincipal, @Param('id') id: string): Promise<GatewayKeyView> {
    return toKeyView(await this.keys.get(key.tenantId, id));
  }

  @Patch('keys/:id')
  async update(
    @CurrentKey() key: KeyPrincipal,
    @Param('id') id: string,
    @Body(new ZodPipe(updateKeyBody)) body: UpdateKeyBody,
  ): Promise<GatewayKeyView> {
    assertUnlimited(key);
    return toKeyView(await this.keys.update(key.tenantId, id, body));
  }

  @Delete('keys/:id')
  @HttpCode(204)
  async revoke(@CurrentKey() key: KeyPrincipal, @Param('id') id: string): Promise<void> {
    assertUnlimited(key);
    await this.keys.revoke(key.tenantId, id);
  }
}

function assertUnlimited(key: KeyPrincipal): void {
  if (key.creditLimit === null && key.rateLimitRpm === null) return;
  throw new DomainError('forbidden', {
    message:
      'A key with its own credit limit or rate limit cannot create, change or revoke keys. Use an unlimited key or the dashboard.',
  });
}
