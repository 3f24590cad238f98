/**
 * An IP address as one unsigned integer: 32 bits for IPv4, 128 for IPv6. A bigint keeps prefix
 * matching and embedded-IPv4 extraction to plain shifts and masks.
 */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

const IPV4_MAX = 0xffff_ffffn;
const IPV4_PART = /^(?:0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;
const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;

/**
 * Parses an IP literal in any form that WHATWG URL parsing or a classic `inet_aton` resolver
 * accepts: dotted, short (`127.1`), a single integer (`2130706433`), hex (`0x7f.0.0.1`), octal
 * (`0177.0.0.1`), and IPv6 with or without brackets, an embedded dotted tail or a zone id.
 * Returns undefined for anything else (a host name).
 */
export function parseIpAddress(host: string): IpAddress | undefined {
  if (host.startsWith('[') && host.endsWith(']')) return parseIpv6(host.slice(1, -1));
  if (host.includes(':')) return parseIpv6(host);
  return parseIpv4(host);
}

/** Dotted quad for IPv4; RFC 5952 style (lowercase, longest zero run as `::`) for IPv6. */
export function formatIpAddress(ip: IpAddress): string {
  return ip.family === 4 ? formatIpv4(ip.value) : formatIpv6(ip.value);
}

/**
 * True only for a globally routable unicast address. Anything that does not parse as an IP is not
 * public: callers treat "unknown" the same as "private" so a parsing gap fails closed.
 */
export function isPublicAddress(ip: string): boolean {
  const parsed = parseIpAddress(ip);
  return parsed !== undefined && isPublic(parsed);
}

function isPublic(ip: IpAddress): boolean {
  if (ip.family === 4) return !IPV4_NOT_PUBLIC.some((range) => contains(range, ip));
  // An address that tunnels or translates to an IPv4 host is exactly as public as that host.
  const embedded = embeddedIpv4(ip.value);
  if (embedded !== undefined) return embedded.every(isPublic);
  // Only 2000::/3 is allocated for global unicast; this one rule covers ::, ::1, IPv4-compatible
  // ::/96, 100::/64, fc00::/7, fe80::/10, fec0::/10, ff00::/8 and whatever IANA reserves next.
  return contains(IPV6_GLOBAL_UNICAST, ip) && !IPV6_NOT_PUBLIC.some((range) => contains(range, ip));
}

/** IPv4 addresses carried inside an IPv6 address, or undefined when it embeds none. */
function embeddedIpv4(value: bigint): IpAddress[] | undefined {
  const low32 = value & IPV4_MAX;
  if (contains(IPV4_MAPPED, { family: 6, value }) || contains(NAT64, { family: 6, value })) {
    return [{ family: 4, value: low32 }];
  }
  if (contains(SIX_TO_FOUR, { family: 6, value })) return [{ family: 4, value: (value >> 80n) & IPV4_MAX }];
  if (contains(TEREDO, { family: 6, value })) {
    // Teredo carries the server address in plain and the client address bit-inverted.
    return [
      { family: 4, value: (value >> 64n) & IPV4_MAX },
      { family: 4, value: ~low32 & IPV4_MAX },
    ];
  }
  return undefined;
}

function parseIpv4(text: string): IpAddress | undefined {
  // A trailing dot is the DNS root: URL parsing and resolvers both ignore it.
  const body = text.endsWith('.') ? text.slice(0, -1) : text;
  const parts = body.split('.');
  if (parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    const number = parseIpv4Part(part);
    if (number === undefined) return undefined;
    numbers.push(number);
  }
  // The last part fills every remaining byte: `127.1` is 127.0.0.1, `2130706433` is all 32 bits.
  const last = numbers.pop();
  if (last === undefined || last >= 256 ** (4 - numbers.length)) return undefined;
  let value = BigInt(last);
  for (const [index, number] of numbers.entries()) {
    if (number > 255) return undefined;
    value += BigInt(number) << BigInt(8 * (3 - index));
  }
  return { family: 4, value };
}

function parseIpv4Part(part: string): number | undefined {
  if (!IPV4_PART.test(part)) return undefined;
  if (part.startsWith('0x') || part.startsWith('0X')) return part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
  if (part.length > 1 && part.startsWith('0')) return Number.parseInt(part.slice(1), 8);
  return Number.parseInt(part, 10);
}

function parseIpv6(input: string): IpAddress | undefined {
  // A zone id (`fe80::1%eth0`) only scopes a link-local address; judge the address itself.
  const zone = input.indexOf('%');
  const text = zone === -1 ? input : input.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const [head = '', tail] = halves;
  const headGroups = parseIpv6Groups(head, tail === undefined);
  const tailGroups = tail === undefined ? [] : parseIpv6Groups(tail, true);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  const count = headGroups.length + tailGroups.length;
  if (tail === undefined ? count !== 8 : count > 7) return undefined;
  const groups = [...headGroups, ...new Array<number>(8 - count).fill(0), ...tailGroups];
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return { family: 6, value };
}

/** 16-bit groups of one side of `::`; a dotted IPv4 tail is allowed only at the very end. */
function parseIpv6Groups(text: string, mayEndInIpv4: boolean): number[] | undefined {
  if (text === '') return [];
  const pieces = text.split(':');
  const groups: number[] = [];
  for (const [index, piece] of pieces.entries()) {
    if (IPV6_GROUP.test(piece)) {
      groups.push(Number.parseInt(piece, 16));
      continue;
    }
    if (!mayEndInIpv4 || index !== pieces.length - 1) return undefined;
    const ipv4 = parseDottedQuad(piece);
    if (ipv4 === undefined) return undefined;
    groups.push(Number(ipv4 >> 16n), Number(ipv4 & 0xffffn));
  }
  return groups;
}

/**
 * Inside IPv6 only strict decimal dotted quads are valid (URL parsing and inet_pton agree), so
 * anything looser is rejected rather than guessed at.
 */
function parseDottedQuad(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!DECIMAL_OCTET.test(part)) return undefined;
    const octet = Number.parseInt(part, 10);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function formatIpv6(value: bigint): string {
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1; // RFC 5952: a single zero group is not shortened
  let runStart = -1;
  for (const [index, group] of [...groups, 1].entries()) {
    if (group === 0) {
      if (runStart === -1) runStart = index;
      continue;
    }
    if (runStart !== -1 && index - runStart > bestLength) {
      bestStart = runStart;
      bestLength = index - runStart;
    }
    runStart = -1;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

interface IpRange {
  readonly family: 4 | 6;
  readonly value: bigint;
  readonly prefix: number;
}

function contains(range: IpRange, ip: IpAddress): boolean {
  if (range.family !== ip.family) return false;
  const shift = BigInt((range.family === 4 ? 32 : 128) - range.prefix);
  return ip.value >> shift === range.value >> shift;
}

function cidr(text: string): IpRange {
  const [address = '', prefix = ''] = text.split('/');
  const ip = parseIpAddress(address);
  if (ip === undefined || !/^\d{1,3}$/.test(prefix)) throw new Error(`Bad CIDR literal ${text}`);
  return { ...ip, prefix: Number(prefix) };
}

// IANA special-purpose IPv4 registry entries that are not globally reachable.
const IPV4_NOT_PUBLIC = [
  '0.0.0.0/8', // "this network"; 0.0.0.0 reaches the local host on Linux
  '10.0.0.0/8',
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local, including the 169.254.169.254 metadata service
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24', // deprecated 6to4 relay anycast
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, including 255.255.255.255
].map(cidr);

const IPV6_GLOBAL_UNICAST = cidr('2000::/3');

// Ranges inside 2000::/3 that are still not globally reachable.
const IPV6_NOT_PUBLIC = [
  '2001:2::/48', // benchmarking
  '2001:10::/28', // ORCHID (deprecated)
  '2001:20::/28', // ORCHIDv2
  '2001:db8::/32', // documentation
  '3fff::/20', // documentation (RFC 9637)
].map(cidr);

const IPV4_MAPPED = cidr('::ffff:0:0/96');
const NAT64 = cidr('64:ff9b::/96');
const SIX_TO_FOUR = cidr('2002::/16');
const TEREDO = cidr('2001::/32');
