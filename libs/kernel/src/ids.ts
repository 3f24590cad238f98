const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Route ids are checked before they reach a uuid column (a malformed one is a 404, not a 500). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * Cursor paging over rows fetched with `take: limit + 1`: the page, and the id to continue after
 * when there is more.
 */
export function pageOf<T extends { id: string }>(rows: readonly T[], limit: number): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}
