import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { proofFromAccess, type SessionPrincipal } from '@gw/accounts';
import { VaultAuditService, VaultService } from '@gw/byok';
import {
  type RegenerateRecoveryKeyBody,
  regenerateRecoveryKeyBody,
  type RotateVaultBody,
  type RotateVaultResponse,
  rotateVaultBody,
  type VaultAuditView,
} from '@gw/contracts';
import { Secret } from '@gw/kernel';
import { CurrentSession, SessionGuard } from '../auth/session.guard';
import { ZodPipe } from '../http/zod.pipe';

const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.uuid({ message: 'must be a cursor from a previous page' }).optional(),
});

@Controller('api/vault')
@UseGuards(SessionGuard)
export class VaultController {
  constructor(
    @Inject(VaultService) private readonly vault: VaultService,
    @Inject(VaultAuditService) private readonly audit: VaultAuditService,
  ) {}

  /** Issues a new recovery key (shown in this response only) and destroys the old one. */
  @Post('recovery-key')
  @HttpCode(200)
  async regenerateRecoveryKey(
    @CurrentSession() session: SessionPrincipal,
    @Body(new ZodPipe(regenerateRecoveryKeyBody)) body: RegenerateRecoveryKeyBody,
    @Req() request: FastifyRequest,
  ): Promise<{ recoveryKey: string }> {
    const recoveryKey = await this.vault.regenerateRecoveryKey(
      session.tenantId,
      proofFromAccess(body.vaultAccess),
      { type: 'user', id: session.userId },
      request.ip,
    );
    return { recoveryKey: recoveryKey.reveal() };
  }

  /** Rotation for cause: new tenant key pair, provider secrets re-sealed, only `keepKeys` keep access. */
  @Post('rotate')
  @HttpCode(200)
  async rotate(
    @CurrentSession() session: SessionPrincipal,
    @Body(new ZodPipe(rotateVaultBody)) body: RotateVaultBody,
    @Req() request: FastifyRequest,
  ): Promise<RotateVaultResponse> {
    const result = await this.vault.rotate(
      session.tenantId,
      proofFromAccess(body.vaultAccess),
      (body.keepKeys ?? []).map((key) => new Secret(key)),
      { type: 'user', id: session.userId },
      request.ip,
    );
    return {
      recoveryKey: result.recoveryKey.reveal(),
      keptKeyIds: result.keptKeyIds,
      droppedKeyIds: result.droppedKeyIds,
      resealed: result.resealed,
    };
  }

  @Get('audit')
  async auditLog(
    @CurrentSession() session: SessionPrincipal,
    @Query(new ZodPipe(auditQuery)) query: z.infer<typeof auditQuery>,
  ): Promise<{ data: VaultAuditView[]; nextCursor: string | null }> {
    return this.audit.list(session.tenantId, query.limit, query.cursor);
  }
}
