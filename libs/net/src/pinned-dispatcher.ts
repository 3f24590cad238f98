import { type LookupFunction, isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { type CheckedUrl, UnsafeUrlError } from './upstream-url';

export interface PinnedDispatcherOptions {
  /** Per connection attempt. Defaults to 10 s, undici's own default. */
  readonly connectTimeoutMs?: number;
}

/**
 * An undici dispatcher that connects only to the origin of `checked`, and only to the addresses
 * that were checked: the host name is never resolved again, so DNS rebinding cannot swap in an
 * internal address. The socket still connects "to" the host name, so TLS SNI and certificate
 * validation use the original name.
 *
 * Redirects: `undici.request` never follows them. `undici.fetch` does by default, so pass
 * `redirect: 'manual'` (or `'error'`); a followed redirect to another origin would be refused by
 * this dispatcher anyway, but a same-origin one would skip the caller's checks.
 *
 * Use it with undici's own `request`/`fetch`, not Node's global fetch, which bundles a different
 * undici version.
 */
export function createPinnedDispatcher(checked: CheckedUrl, options: PinnedDispatcherOptions = {}): Agent {
  const pinned = checked.addresses.map((address) => ({ address, family: isIP(address) }));
  const [first] = pinned;
  if (first === undefined || pinned.some((entry) => entry.family === 0)) {
    throw new UnsafeUrlError('has no checked address to connect to');
  }
  // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all === true) callback(null, pinned);
    else callback(null, first.address, first.family);
  };
  const connectPinned = buildConnector({ lookup, timeout: options.connectTimeoutMs ?? 10_000 });
  const { protocol, port } = checked.url;

  return new Agent({
    connect: (connectOptions, callback) => {
      // One agent serves every origin it is handed; refuse all but the checked one.
      const sameOrigin =
        connectOptions.hostname === checked.host && connectOptions.protocol === protocol && connectOptions.port === port;
      if (!sameOrigin) {
        callback(new UnsafeUrlError('was not checked for this origin'), null);
        return;
      }
      connectPinned(connectOptions, callback);
    },
  });
}
