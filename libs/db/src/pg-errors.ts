/** Postgres SQLSTATE codes the code reacts to. */
export const PG_UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  // Prisma reports unique violations as P2002 with the driver's code in `meta`.
  if (code === 'P2002') return true;
  if (code === PG_UNIQUE_VIOLATION) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isUniqueViolation(cause);
}
