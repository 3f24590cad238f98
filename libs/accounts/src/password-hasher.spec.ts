import { DomainError, Secret } from '@gw/kernel';
import { assertPasswordStrength, decoyPasswordHash, hashPassword, verifyPassword } from './password-hasher';

describe('password hasher', () => {
  it('verifies the right password and rejects a wrong one', async () => {
    const stored = await hashPassword(new Secret('correct horse battery'));
    expect(stored).toMatch(/^scrypt\$15\$8\$1\$/);
    expect(stored).not.toContain('correct horse');
    await expect(verifyPassword(new Secret('correct horse battery'), stored)).resolves.toBe(true);
    await expect(verifyPassword(new Secret('correct horse batterz'), stored)).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword(new Secret('same password!')), hashPassword(new Secret('same password!'))]);
    expect(a).not.toBe(b);
  });

  it('treats malformed stored hashes as a mismatch', async () => {
    for (const stored of ['', 'plain', 'scrypt$x$8$1$a$b', 'bcrypt$1$2$3$4$5', await decoyPasswordHash()]) {
      await expect(verifyPassword(new Secret('whatever password'), stored)).resolves.toBe(false);
    }
  });
});

describe('password strength', () => {
  it.each([
    ['short1', 'at least 10'],
    ['password123', 'too common'],
    ['aaaaaaaaaaaa', 'different characters'],
    ['alice.smith', 'email'],
    ['x'.repeat(300), 'at most'],
  ])('refuses %p', (password, reason) => {
    expect(() => assertPasswordStrength(password, 'alice.smith@example.com')).toThrow(reason);
    try {
      assertPasswordStrength(password, 'alice.smith@example.com');
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).status).toBe(400);
      expect((error as DomainError).metadata).toEqual({ field: 'password' });
    }
  });

  it('accepts a reasonable password', () => {
    expect(() => assertPasswordStrength('tangerine-42-river', 'alice@example.com')).not.toThrow();
  });
});
