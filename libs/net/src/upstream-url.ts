import { lookup } from 'node:dns/promises';
import { formatIpAddress, isPublicAddress, parseIpAddress } from './ip-address';

/**
 * A tenant-supplied URL was refused. `reason` completes the sentence "Upstream URL …", is safe to
 * show the tenant, and never repeats credentials or the query string of the URL.
 */
export class UnsafeUrlError extends Error {
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`Upstream URL ${reason}`, options);
    this.name = 'UnsafeUrlError';
  }
}

/** The URL's host name did not resolve (no such name, or DNS did not answer): nothing is known against it yet. */
export class UnresolvedHostError extends UnsafeUrlError {
  constructor(options?: ErrorOptions) {
    super('could not be resolved', options);
    this.name = 'UnresolvedHostError';
  }
}

/**
 * A URL that passed the checks, with the addresses that were checked. Connect only to `addresses`
 * (see createPinnedDispatcher): resolving `host` again could answer differently (DNS rebinding).
 */
export interface CheckedUrl {
  readonly url: URL;
  /** The URL's host name as a connector sees it: lowercase, IPv6 without brackets. */
  readonly host: string;
  readonly addresses: readonly string[];
}

export type HostResolver = (host: string) => Promise<readonly string[]>;

export interface CheckUrlOptions {
  /** Lets tests and local development reach plain-HTTP and private upstreams. Never on in production. */
  readonly allowPrivate: boolean;
  /** Defaults to the system resolver (`dns.lookup`, which also honours /etc/hosts). */
  readonly resolve?: HostResolver;
}

// Real upstream URLs are far shorter; the cap keeps a hostile value from costing parse time.
const MAX_URL_LENGTH = 2048;

// Names that only ever mean something inside a network: RFC 6761/6762 special-use names, the
// cloud metadata name (metadata.google.internal) and the private TLDs RFC 6762 Appendix G lists.
const INTERNAL_SUFFIXES = ['localhost', 'localdomain', 'local', 'internal', 'intranet', 'private', 'corp', 'home', 'lan', 'arpa'];

// WHATWG treats a host whose last label is numeric as an IPv4 address; a resolver might not.
const NUMERIC_LABEL = /^(?:[0-9]+|0[xX][0-9a-fA-F]*)$/;

/**
 * Decides whether the server may call a tenant-supplied URL, and pins the addresses it may call.
 * Throws UnsafeUrlError with a short reason when it may not.
 */
export async function checkUpstreamUrl(raw: string, options: CheckUrlOptions): Promise<CheckedUrl> {
  const url = parseUrl(raw);
  const allowedProtocol = url.protocol === 'https:' || (options.allowPrivate && url.protocol === 'http:');
  if (!allowedProtocol) throw new UnsafeUrlError(options.allowPrivate ? 'must use http or https' : 'must use https');
  if (url.username !== '' || url.password !== '') throw new UnsafeUrlError('must not contain a username or password');

  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw new UnsafeUrlError('must have a host');

  const literal = parseIpAddress(host);
  if (literal !== undefined) {
    const address = formatIpAddress(literal);
    if (!options.allowPrivate && !isPublicAddress(address)) throw new UnsafeUrlError(`points to a private address (${address})`);
    return freeze(url, host, [address]);
  }

  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const labels = name.split('.');
  if (NUMERIC_LABEL.test(labels[labels.length - 1] ?? '')) throw new UnsafeUrlError('has an invalid host');
  if (!options.allowPrivate) {
    if (INTERNAL_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`))) {
      throw new UnsafeUrlError('must not point to a local or internal host name');
    }
    // A single label is completed from the resolver's search list, i.e. the local network.
    if (labels.length < 2) throw new UnsafeUrlError('must use a fully qualified host name');
  }

  const addresses = await resolveAll(host, options.resolve ?? systemResolve);
  if (!options.allowPrivate) {
    const privateAddress = addresses.find((address) => !isPublicAddress(address));
    if (privateAddress !== undefined)
      // The address itself stays out of the message: it would let a tenant map internal DNS.
      throw new UnsafeUrlError('resolves to a private address');
  }
  return freeze(url, host, addresses);
}

function parseUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) throw new UnsafeUrlError('is too long');
  try {
    return new URL(raw);
  } catch {
    throw new UnsafeUrlError('is not a valid URL');
  }
}

/** Resolved addresses in canonical form, deduplicated; anything that is not an IP fails closed. */
async function resolveAll(host: string, resolve: HostResolver): Promise<string[]> {
  let resolved: readonly string[];
  try {
    resolved = await resolve(host);
  } catch (error: unknown) {
    throw new UnresolvedHostError({ cause: error });
  }
  const addresses = new Set<string>();
  for (const address of resolved) {
    const ip = parseIpAddress(address);
    if (ip === undefined) throw new UnsafeUrlError('resolves to an invalid address');
    addresses.add(formatIpAddress(ip));
  }
  if (addresses.size === 0) throw new UnresolvedHostError();
  return [...addresses];
}

async function systemResolve(host: string): Promise<string[]> {
  const results = await lookup(host, { all: true, verbatim: true });
  return results.map((result) => result.address);
}

// Frozen so the addresses a dispatcher pins cannot be swapped after the check.
function freeze(url: URL, host: string, addresses: readonly string[]): CheckedUrl {
  return Object.freeze({ url, host, addresses: Object.freeze([...addresses]) });
}
