import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { CONFIG, type Config } from '@gw/config';
import { Database, isUniqueViolation, type Prisma, sqlIn } from '@gw/db';
import { DomainError, type Secret } from '@gw/kernel';
import type { SessionPrincipal, TenantBillingOverrides, VaultLifecycle } from './accounts.tokens';
import { VAULT_LIFECYCLE } from './accounts.tokens';
import { LoginThrottle } from './login-throttle';
import { assertPasswordStrength, decoyPasswordHash, hashPassword, verifyPassword } from './password-hasher';
import { generateSessionToken, hashSessionToken } from './session-token';

export interface ClientMeta {
  readonly ip: string;
  readonly userAgent: string | null;
}

export interface SessionResult {
  readonly token: Secret<string>;
  readonly principal: SessionPrincipal;
  readonly recoveryKey: Secret<string> | null;
  readonly expiresAt: Date;
}

type UserWithTenant = Prisma.UserGetPayload<{ include: { tenant: true } }>;

@Injectable()
export class AccountsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LoginThrottle) private readonly throttle: LoginThrottle,
    @Optional() @Inject(VAULT_LIFECYCLE) private readonly vault: VaultLifecycle | null = null,
  ) {}

  async signup(email: string, password: Secret<string>, meta: ClientMeta): Promise<SessionResult> {
    assertPasswordStrength(password.reveal(), email);
    const existing = await this.db.prisma.user.findUnique({ where: { email }, select: { id: true } });
    if (existing) throw emailTaken();
    const passwordHash = await hashPassword(password);
    try {
      return await this.db.prisma.$transaction(async (tx) => {
        const user = await tx.user.create({
          data: { email, passwordHash, role: 'member', tenant: { create: { name: email } } },
          include: { tenant: true },
        });
        const recoveryKey = this.vault ? await this.vault.provisionTenant(user.tenantId, sqlIn(tx)) : null;
        const session = await this.createSession(tx, user, meta);
        return { ...session, recoveryKey };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken();
      throw error;
    }
  }

  async login(email: string, password: Secret<string>, meta: ClientMeta): Promise<SessionResult> {
    await this.throttle.assertAllowed(email, meta.ip);
    const user = await this.db.prisma.user.findUnique({ where: { email }, include: { tenant: true } });
    // Verify against a decoy when the account is unknown, so timing does not reveal which emails exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash()));
    if (!user || !ok) {
      await this.throttle.recordFailure(email, meta.ip);
      throw new DomainError('invalid_credentials');
    }
    await this.throttle.recordSuccess(email);
    const session = await this.createSession(this.db.prisma, user, meta);
    return { ...session, recoveryKey: null };
  }

  async logout(token: Secret<string>): Promise<void> {
    await this.db.prisma.session.deleteMany({ where: { tokenHash: hashSessionToken(token) } });
  }

  /** Resolves a session token; null when it is unknown or expired. */
  async authenticate(token: Secret<string>): Promise<SessionPrincipal | null> {
    const session = await this.db.prisma.session.findUnique({
      where: { tokenHash: hashSessionToken(token) },
      include: { user: { include: { tenant: true } } },
    });
    if (!session || session.expiresAt.getTime() <= Date.now()) return null;
    return toPrincipal(session.id, session.user);
  }

  /**
   * Creates the bootstrap admin when no account has that email; returns whether it did. Runs at
   * every start, in plain SQL so that start-up does not load Prisma's query compiler.
   */
  async ensureAdmin(email: string, password: Secret<string>): Promise<{ created: boolean }> {
    const { rows } = await this.db.pool.query<{ id: string; role: string }>('SELECT id, role FROM users WHERE email = $1', [
      email,
    ]);
    const existing = rows[0];
    if (existing) {
      if (existing.role !== 'admin') await this.db.pool.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [existing.id]);
      return { created: false };
    }
    const passwordHash = await hashPassword(password);
    try {
      await this.db.transaction(async (client) => {
        const tenantId = randomUUID();
        await client.query(`INSERT INTO tenants (id, name) VALUES ($1, 'Administrators')`, [tenantId]);
        await client.query(`INSERT INTO users (id, tenant_id, email, password_hash, role) VALUES ($1, $2, $3, $4, 'admin')`, [
          randomUUID(),
          tenantId,
          email,
          passwordHash,
        ]);
        if (this.vault) await this.vault.provisionTenant(tenantId, client);
      });
      return { created: true };
    } catch (error) {
      // Another instance bootstrapped the same admin at the same moment.
      if (isUniqueViolation(error)) return { created: false };
      throw error;
    }
  }

  /** The tenant's own billing overrides (null fields: the admin settings apply). */
  async billingOverrides(tenantId: string): Promise<TenantBillingOverrides> {
    const row = await this.db.prisma.tenant.findUnique({
      where: { id: tenantId },
      select: { byokFeePpm: true, byokFreeRequestsPerMonth: true, byokFreeMicrosPerMonth: true },
    });
    return {
      feePpm: row?.byokFeePpm ?? null,
      freeRequestsPerMonth: row?.byokFreeRequestsPerMonth ?? null,
      freeMicrosPerMonth: row?.byokFreeMicrosPerMonth ?? null,
    };
  }

  /**
   * Deletes expired sessions (a maintenance job); returns how many. The job runs as soon as the
   * worker starts: plain SQL, like ensureAdmin.
   */
  async purgeExpiredSessions(): Promise<number> {
    const { rowCount } = await this.db.pool.query('DELETE FROM sessions WHERE expires_at <= $1', [new Date()]);
    return rowCount ?? 0;
  }

  async adminExists(): Promise<boolean> {
    return (await this.db.prisma.user.count({ where: { role: 'admin' } })) > 0;
  }

  private async createSession(
    tx: Prisma.TransactionClient,
    user: UserWithTenant,
    meta: ClientMeta,
  ): Promise<Omit<SessionResult, 'recoveryKey'>> {
    const token = generateSessionToken();
    const expiresAt = new Date(Date.now() + this.config.SESSION_TTL_HOURS * 3_600_000);
    const session = await tx.session.create({
      data: {
        userId: user.id,
        tokenHash: hashSessionToken(token),
        expiresAt,
        ip: meta.ip,
        userAgent: meta.userAgent?.slice(0, 512) ?? null,
      },
    });
    return { token, principal: toPrincipal(session.id, user), expiresAt };
  }
}

function emailTaken(): DomainError {
  return new DomainError('email_taken', { metadata: { field: 'email' } });
}

function toPrincipal(sessionId: string, user: UserWithTenant): SessionPrincipal {
  return {
    sessionId,
    userId: user.id,
    email: user.email,
    role: user.role,
    tenantId: user.tenantId,
    tenantName: user.tenant.name,
    tenantDisabled: user.tenant.disabled,
  };
}
