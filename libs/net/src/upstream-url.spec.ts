import { type CheckUrlOptions, type HostResolver, checkUpstreamUrl, UnsafeUrlError } from './upstream-url';

/** A resolver backed by a table; unknown names fail like NXDOMAIN, and every call is recorded. */
function fakeResolver(table: Record<string, readonly string[]>): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (host: string): Promise<readonly string[]> => {
    calls.push(host);
    const addresses = table[host];
    return addresses === undefined ? Promise.reject(new Error(`ENOTFOUND ${host}`)) : Promise.resolve(addresses);
  };
  return Object.assign(resolve, { calls });
}

const dns = {
  'example.com': ['93.184.216.34'],
  'api.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'rebind.example.com': ['127.0.0.1'],
  'mixed.example.com': ['93.184.216.34', '10.0.0.7'],
  'metadata.example.com': ['169.254.169.254'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'ula.example.com': ['fd12:3456::1'],
  'garbage.example.com': ['not-an-ip'],
  'empty.example.com': [],
};

async function reasonFor(raw: string, options: CheckUrlOptions): Promise<string> {
  try {
    await checkUpstreamUrl(raw, options);
  } catch (error: unknown) {
    if (error instanceof UnsafeUrlError) return error.reason;
    throw error;
  }
  throw new Error(`expected ${raw} to be rejected`);
}

describe('checkUpstreamUrl', () => {
  const strict = (): CheckUrlOptions => ({ allowPrivate: false, resolve: fakeResolver(dns) });

  it.each([
    ['https://127.0.0.1/', 'points to a private address (127.0.0.1)'],
    ['https://10.0.0.5/x', 'points to a private address (10.0.0.5)'],
    ['https://169.254.169.254/latest/meta-data', 'points to a private address (169.254.169.254)'],
    ['https://[::1]/', 'points to a private address (::1)'],
    ['https://[::ffff:127.0.0.1]/', 'points to a private address (::ffff:7f00:1)'],
    ['https://[::ffff:7f00:1]/', 'points to a private address (::ffff:7f00:1)'],
    ['https://[::127.0.0.1]/', 'points to a private address (::7f00:1)'],
    ['https://2130706433/', 'points to a private address (127.0.0.1)'],
    ['https://0x7f000001/', 'points to a private address (127.0.0.1)'],
    ['https://0x7f.0.0.1/', 'points to a private address (127.0.0.1)'],
    ['https://0177.0.0.1/', 'points to a private address (127.0.0.1)'],
    ['https://127.1/', 'points to a private address (127.0.0.1)'],
    ['https://127.0.0.1./', 'points to a private address (127.0.0.1)'],
    ['https://%31%32%37.0.0.1/', 'points to a private address (127.0.0.1)'],
    ['https://[fd00::1]/', 'points to a private address (fd00::1)'],
    ['https://[fe80::1]/', 'points to a private address (fe80::1)'],
    ['https://172.16.3.4/', 'points to a private address (172.16.3.4)'],
    ['https://192.168.1.1/', 'points to a private address (192.168.1.1)'],
    ['https://100.64.0.1/', 'points to a private address (100.64.0.1)'],
    ['https://0.0.0.0/', 'points to a private address (0.0.0.0)'],
    ['https://0/', 'points to a private address (0.0.0.0)'],
    ['https://[64:ff9b::7f00:1]/', 'points to a private address (64:ff9b::7f00:1)'],
    ['https://[2002:7f00:1::]/', 'points to a private address (2002:7f00:1::)'],
    ['https://localhost/', 'must not point to a local or internal host name'],
    ['https://localhost./', 'must not point to a local or internal host name'],
    ['https://LOCALHOST:8443/', 'must not point to a local or internal host name'],
    ['https://foo.localhost/', 'must not point to a local or internal host name'],
    ['https://metadata.google.internal/', 'must not point to a local or internal host name'],
    ['https://printer.local/', 'must not point to a local or internal host name'],
    ['https://1.0.0.127.in-addr.arpa/', 'must not point to a local or internal host name'],
    ['https://metadata/', 'must use a fully qualified host name'],
    ['https://rebind.example.com/', 'resolves to a private address'],
    ['https://mixed.example.com/', 'resolves to a private address'],
    ['https://metadata.example.com/', 'resolves to a private address'],
    ['https://mapped.example.com/', 'resolves to a private address'],
    ['https://ula.example.com/', 'resolves to a private address'],
    ['https://garbage.example.com/', 'resolves to an invalid address'],
    ['https://empty.example.com/', 'could not be resolved'],
    ['https://nxdomain.example.com/', 'could not be resolved'],
    ['http://example.com/', 'must use https'],
    ['ftp://example.com/', 'must use https'],
    ['file:///etc/passwd', 'must use https'],
    ['gopher://example.com:6379/_INFO', 'must use https'],
    ['https://user:pass@example.com/', 'must not contain a username or password'],
    ['https://user@example.com/', 'must not contain a username or password'],
    ['not a url', 'is not a valid URL'],
    ['', 'is not a valid URL'],
    ['https://08.0.0.1/', 'is not a valid URL'],
    [`https://example.com/${'a'.repeat(2100)}`, 'is too long'],
  ])('rejects %s', async (raw, reason) => {
    expect(await reasonFor(raw, strict())).toBe(reason);
  });

  it('never repeats credentials or the query string in the reason', async () => {
    const error = await checkUpstreamUrl('http://alice:s3cret@127.0.0.1/x?api-key=k3y', { allowPrivate: false }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UnsafeUrlError);
    expect(String(error)).not.toMatch(/alice|s3cret|k3y/);
    expect(String(error)).toBe('UnsafeUrlError: Upstream URL must use https');
  });

  it('does not resolve names it can reject up front', async () => {
    const resolve = fakeResolver(dns);
    await expect(checkUpstreamUrl('https://metadata.google.internal/', { allowPrivate: false, resolve })).rejects.toThrow(
      UnsafeUrlError,
    );
    await expect(checkUpstreamUrl('https://127.0.0.1/', { allowPrivate: false, resolve })).rejects.toThrow(UnsafeUrlError);
    expect(resolve.calls).toEqual([]);
  });

  it('accepts a host that resolves only to public addresses and pins them', async () => {
    const sut = await checkUpstreamUrl('https://example.com/v1/chat', strict());
    expect(sut.url.href).toBe('https://example.com/v1/chat');
    expect(sut.host).toBe('example.com');
    expect(sut.addresses).toEqual(['93.184.216.34']);
    expect(Object.isFrozen(sut)).toBe(true);
    expect(Object.isFrozen(sut.addresses)).toBe(true);
  });

  it('pins every public address of a dual-stack host, deduplicated and canonical', async () => {
    const resolve = fakeResolver({ 'api.example.com': ['93.184.216.34', '2606:2800:0220:0001::1', '93.184.216.34'] });
    const sut = await checkUpstreamUrl('https://api.example.com/', { allowPrivate: false, resolve });
    expect(sut.addresses).toEqual(['93.184.216.34', '2606:2800:220:1::1']);
  });

  it('accepts an Azure deployment URL and keeps its query', async () => {
    const raw = 'https://my-resource.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21';
    const resolve = fakeResolver({ 'my-resource.openai.azure.com': ['20.62.58.1'] });
    const sut = await checkUpstreamUrl(raw, { allowPrivate: false, resolve });
    expect(sut.url.searchParams.get('api-version')).toBe('2024-10-21');
    expect(sut.addresses).toEqual(['20.62.58.1']);
  });

  it('accepts a public IP literal without resolving it', async () => {
    const resolve = fakeResolver({});
    const sut = await checkUpstreamUrl('https://[2606:4700:4700::1111]:8443/', { allowPrivate: false, resolve });
    expect(sut.host).toBe('2606:4700:4700::1111');
    expect(sut.addresses).toEqual(['2606:4700:4700::1111']);
    expect(resolve.calls).toEqual([]);
  });

  describe('with allowPrivate', () => {
    const lenient = (): CheckUrlOptions => ({ allowPrivate: true, resolve: fakeResolver(dns) });

    it('accepts a plain-HTTP loopback fake upstream', async () => {
      const raw = 'http://127.0.0.1:8080/openai/deployments/x/chat/completions?api-version=2024-10-21';
      const sut = await checkUpstreamUrl(raw, lenient());
      expect(sut.host).toBe('127.0.0.1');
      expect(sut.url.port).toBe('8080');
      expect(sut.addresses).toEqual(['127.0.0.1']);
    });

    it('accepts names that resolve to private addresses and pins them', async () => {
      const sut = await checkUpstreamUrl('http://rebind.example.com:9000/', lenient());
      expect(sut.addresses).toEqual(['127.0.0.1']);
    });

    it('still refuses other schemes, credentials and unparseable URLs', async () => {
      expect(await reasonFor('ftp://127.0.0.1/', lenient())).toBe('must use http or https');
      expect(await reasonFor('http://u:p@127.0.0.1/', lenient())).toBe('must not contain a username or password');
      expect(await reasonFor('not a url', lenient())).toBe('is not a valid URL');
      expect(await reasonFor('http://nxdomain.example.com/', lenient())).toBe('could not be resolved');
    });

    it('resolves localhost with the system resolver', async () => {
      const sut = await checkUpstreamUrl('http://localhost:8080/', { allowPrivate: true });
      expect(sut.addresses.length).toBeGreaterThan(0);
      for (const address of sut.addresses) expect(['127.0.0.1', '::1']).toContain(address);
    });
  });
});
