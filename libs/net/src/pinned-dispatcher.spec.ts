import { once } from 'node:events';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { fetch, request } from 'undici';
import { createPinnedDispatcher } from './pinned-dispatcher';
import { type CheckedUrl, UnsafeUrlError, checkUpstreamUrl } from './upstream-url';

// `.test` is reserved (RFC 6761) and never resolves, so reaching the server proves the pin was used.
const FAKE_HOST = 'fake-upstream.test';
const resolveToLoopback = (): Promise<readonly string[]> => Promise.resolve(['127.0.0.1']);

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function check(raw: string): Promise<CheckedUrl> {
  return checkUpstreamUrl(raw, { allowPrivate: true, resolve: resolveToLoopback });
}

describe('createPinnedDispatcher', () => {
  const seen: { url: string | undefined; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/target' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from the fake upstream');
  });
  let port = 0;

  beforeAll(async () => {
    port = await listen(server);
  });

  afterAll(() => {
    server.close();
  });

  beforeEach(() => {
    seen.length = 0;
  });

  it('connects to the checked address, not to whatever DNS says', async () => {
    const checked = await check(`http://${FAKE_HOST}:${port}/hello?api-version=1`);
    const sut = createPinnedDispatcher(checked, { connectTimeoutMs: 2_000 });
    try {
      const response = await request(checked.url, { dispatcher: sut });
      expect(response.statusCode).toBe(200);
      expect(await response.body.text()).toBe('hello from the fake upstream');
      expect(seen).toEqual([{ url: '/hello?api-version=1', headers: expect.objectContaining({ host: `${FAKE_HOST}:${port}` }) }]);
    } finally {
      await sut.close();
    }
  });

  it('does not follow redirects', async () => {
    const checked = await check(`http://${FAKE_HOST}:${port}/redirect`);
    const sut = createPinnedDispatcher(checked);
    try {
      const response = await request(checked.url, { dispatcher: sut });
      await response.body.dump();
      expect(response.statusCode).toBe(302);
      await expect(fetch(checked.url, { dispatcher: sut, redirect: 'error' })).rejects.toThrow();
      expect(seen.map((request) => request.url)).toEqual(['/redirect', '/redirect']);
    } finally {
      await sut.close();
    }
  });

  it.each([
    ['another host', (p: number) => `http://other-upstream.test:${p}/`],
    ['another port', (p: number) => `http://${FAKE_HOST}:${p + 1}/`],
    ['another scheme', (p: number) => `https://${FAKE_HOST}:${p}/`],
  ])('refuses to connect to %s', async (_label, target) => {
    const sut = createPinnedDispatcher(await check(`http://${FAKE_HOST}:${port}/`));
    try {
      await expect(request(target(port), { dispatcher: sut })).rejects.toThrow(UnsafeUrlError);
      expect(seen).toEqual([]);
    } finally {
      await sut.close();
    }
  });

  it('keeps the original host name for TLS SNI and certificate checks', async () => {
    const servernames: string[] = [];
    // No certificate needed: the handshake is aborted as soon as the client has sent its SNI.
    const tlsServer = createTlsServer({
      SNICallback: (servername, callback) => {
        servernames.push(servername);
        callback(new Error('test server ends the handshake here'), undefined);
      },
    });
    const tlsPort = await listen(tlsServer);
    const checked = await check(`https://${FAKE_HOST}:${tlsPort}/`);
    const sut = createPinnedDispatcher(checked, { connectTimeoutMs: 2_000 });
    try {
      await expect(request(checked.url, { dispatcher: sut })).rejects.toThrow();
      expect(servernames).toEqual([FAKE_HOST]);
    } finally {
      await sut.close();
      tlsServer.close();
    }
  });

  it('refuses a checked URL without addresses', () => {
    const forged: CheckedUrl = { url: new URL(`http://${FAKE_HOST}/`), host: FAKE_HOST, addresses: [] };
    expect(() => createPinnedDispatcher(forged)).toThrow(UnsafeUrlError);
  });
});
