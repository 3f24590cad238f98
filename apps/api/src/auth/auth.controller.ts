import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccountsService, type SessionPrincipal, type SessionResult } from '@gw/accounts';
import { LedgerService } from '@gw/billing';
import { CONFIG, type Config } from '@gw/config';
import { type CredentialsBody, credentialsBody, type MeResponse, type SessionResponse } from '@gw/contracts';
import { Secret, usdToMicros } from '@gw/kernel';
import { clientMeta } from '../http/request-info';
import { ZodPipe } from '../http/zod.pipe';
import { AllowDisabledTenant, CurrentSession, SESSION_COOKIE, SessionGuard, sessionTokenOf } from './session.guard';

@Controller('api')
export class AuthController {
  constructor(
    @Inject(AccountsService) private readonly accounts: AccountsService,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LedgerService) private readonly ledger: LedgerService,
  ) {}

  @Post('auth/signup')
  @HttpCode(201)
  async signup(
    @Body(new ZodPipe(credentialsBody)) body: CredentialsBody,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponse> {
    const result = await this.accounts.signup(body.email, new Secret(body.password), clientMeta(request));
    if (this.config.SIGNUP_CREDITS > 0) {
      // Keyed by tenant: a retried grant moves money once.
      await this.ledger.post({
        tenantId: result.principal.tenantId,
        kind: 'grant',
        amountMicros: usdToMicros(this.config.SIGNUP_CREDITS, 'SIGNUP_CREDITS'),
        idempotencyKey: `signup:${result.principal.tenantId}`,
        reason: 'signup credits',
      });
    }
    return { ...this.startSession(reply, result), recoveryKey: result.recoveryKey?.reveal() ?? null };
  }

  @Post('auth/login')
  @HttpCode(200)
  async login(
    @Body(new ZodPipe(credentialsBody)) body: CredentialsBody,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponse> {
    return this.startSession(reply, await this.accounts.login(body.email, new Secret(body.password), clientMeta(request)));
  }

  /** Ends the session for the cookie and the bearer form alike; idempotent. */
  @Post('auth/logout')
  @HttpCode(204)
  async logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const token = sessionTokenOf(request);
    if (token) await this.accounts.logout(token);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  @Get('me')
  @UseGuards(SessionGuard)
  @AllowDisabledTenant()
  me(@CurrentSession() session: SessionPrincipal): MeResponse & { tenant: { disabled: boolean } } {
    return toMe(session);
  }

  private startSession(reply: FastifyReply, result: SessionResult): SessionResponse {
    const token = result.token.reveal();
    void reply.setCookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.COOKIE_SECURE,
      path: '/',
      expires: result.expiresAt,
    });
    return { token, ...toMe(result.principal) };
  }
}

function toMe(session: SessionPrincipal): MeResponse & { tenant: { disabled: boolean } } {
  return {
    user: { id: session.userId, email: session.email, role: session.role },
    tenant: { id: session.tenantId, name: session.tenantName, disabled: session.tenantDisabled },
  };
}
