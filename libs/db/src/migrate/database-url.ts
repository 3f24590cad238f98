/** The parts of a postgres URL the migration tooling needs, already percent-decoded. */
export interface DatabaseUrlParts {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  /** Prisma's `?schema=` parameter: the schema migrations live in (default `public`). */
  schema: string | undefined;
  /** libpq's `?sslmode=` parameter. */
  sslmode: string | undefined;
  /** Every query parameter, `schema` and `sslmode` included. */
  params: Record<string, string>;
}

const DEFAULT_PORT = 5432;

export function parseDatabaseUrl(url: string): DatabaseUrlParts {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL itself may hold a password: never echo it.
    throw new Error('DATABASE_URL is not a valid URL (expected postgresql://user:password@host:port/database)');
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new Error(`DATABASE_URL must start with postgresql:// or postgres://, not ${parsed.protocol}//`);
  }
  const params: Record<string, string> = {};
  for (const [key, value] of parsed.searchParams) params[key] = value;

  const database = decode(parsed.pathname.replace(/^\//, ''));
  if (database === '') throw new Error('DATABASE_URL names no database (the path after the host is empty)');
  const port = parsed.port === '' ? DEFAULT_PORT : Number(parsed.port);
  // libpq lets `?host=` override (e.g. a unix socket directory), so the URL's host may be empty.
  const host = params['host'] ?? (parsed.hostname === '' ? 'localhost' : stripBrackets(decode(parsed.hostname)));
  const user = decode(parsed.username) || (params['user'] ?? 'postgres');
  const password = parsed.password === '' ? params['password'] : decode(parsed.password);

  return {
    host,
    port,
    user,
    password,
    database,
    schema: params['schema'],
    sslmode: params['sslmode'],
    params,
  };
}

/** The URL of another database on the same server, with the same credentials and parameters. */
export function databaseUrlFor(url: string, database: string): string {
  parseDatabaseUrl(url); // validates, with the same messages
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The URL with its password replaced by `***`, fit for logs and error messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return '<invalid database url>';
  }
}

function decode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}

function stripBrackets(host: string): string {
  // IPv6 literals come back as `[::1]`; pg wants the bare address.
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
