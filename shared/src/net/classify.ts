import { parseIPv4, parseIPv6 } from './ip.js';

/**
 * What kind of destination an IP address is. Only `public` is reachable by default; everything
 * else is inside the gateway's own network or otherwise not a provider's API.
 */
export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'unspecified' | 'multicast' | 'reserved';

/** Which non-public destinations a caller accepts. */
export interface AddressPolicy {
  /** Allow loopback destinations (local development against a mock or a local model server). */
  readonly allowLoopback: boolean;
}

/** A phrase for each class, for error messages. */
export const ADDRESS_CLASS_DESCRIPTIONS: Readonly<Record<AddressClass, string>> = Object.freeze({
  public: 'a public address',
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata service address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
});

/** True when an address of class `addressClass` may be connected to under `policy`. */
export function isAddressAllowed(addressClass: AddressClass, policy: AddressPolicy): boolean {
  return addressClass === 'public' || (addressClass === 'loopback' && policy.allowLoopback);
}

/**
 * Classifies an IPv4 or IPv6 address. IPv6 forms that embed an IPv4 address and are routed to it
 * (IPv4-mapped, NAT64 64:ff9b::/96, 6to4) are classified as that IPv4 address, so
 * `::ffff:127.0.0.1` is loopback. Throws `TypeError` for a string that is not an IP address.
 */
export function classifyAddress(ip: string): AddressClass {
  const v4 = parseIPv4(ip);
  if (v4) return classifyIPv4(v4);
  const v6 = parseIPv6(ip);
  if (v6) return classifyIPv6(v6);
  throw new TypeError('classifyAddress needs an IPv4 or IPv6 address');
}

function classifyIPv4([a, b, c, d]: readonly number[]): AddressClass {
  if (a === 0) return 'unspecified'; // 0.0.0.0/8 "this network": Linux routes 0.0.0.0 to the local host
  if (a === 10) return 'private';
  if (a === 100 && b === 100 && c === 100 && d === 200) return 'metadata'; // Alibaba Cloud
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // 100.64/10 carrier-grade NAT
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) {
    if ((c === 169 && d === 254) || (c === 170 && d === 2)) return 'metadata'; // IMDS; AWS ECS task metadata
    return 'link-local';
  }
  // Azure's WireServer: a public-looking address that only answers from inside Azure, with VM secrets.
  if (a === 168 && b === 63 && c === 129 && d === 16) return 'metadata';
  if (a === 172 && b >= 16 && b <= 31) return 'private';
  if (a === 192 && b === 0 && c === 0) return 'reserved'; // IETF protocol assignments
  if (a === 192 && b === 0 && c === 2) return 'reserved'; // TEST-NET-1
  if (a === 192 && b === 88 && c === 99) return 'reserved'; // deprecated 6to4 relay anycast
  if (a === 192 && b === 168) return 'private';
  if (a === 198 && (b === 18 || b === 19)) return 'reserved'; // benchmarking
  if (a === 198 && b === 51 && c === 100) return 'reserved'; // TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return 'reserved'; // TEST-NET-3
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved'; // includes 255.255.255.255
  return 'public';
}

function classifyIPv6(b: Uint8Array): AddressClass {
  const zeroUpTo = (n: number) => b.subarray(0, n).every((x) => x === 0);
  const embeddedV4 = (at: number) => classifyIPv4([b[at], b[at + 1], b[at + 2], b[at + 3]]);
  const word = (i: number) => (b[i * 2] << 8) | b[i * 2 + 1];

  if (zeroUpTo(16)) return 'unspecified';
  if (zeroUpTo(15) && b[15] === 1) return 'loopback';
  if (zeroUpTo(10) && b[10] === 0xff && b[11] === 0xff) return embeddedV4(12); // ::ffff:a.b.c.d
  if (zeroUpTo(12)) return 'reserved'; // deprecated IPv4-compatible ::a.b.c.d
  if (word(0) === 0x64 && word(1) === 0xff9b) {
    if (word(2) === 0 && word(3) === 0 && word(4) === 0 && word(5) === 0) return embeddedV4(12); // NAT64 well-known prefix
    if (word(2) === 1) return 'private'; // 64:ff9b:1::/48 local-use NAT64
  }
  // AWS's IPv6 instance metadata endpoint fd00:ec2::254.
  if (word(0) === 0xfd00 && word(1) === 0x0ec2 && word(2) === 0 && word(3) === 0 && word(4) === 0 && word(5) === 0 && word(6) === 0 && word(7) === 0x254) {
    return 'metadata';
  }
  if ((b[0] & 0xfe) === 0xfc) return 'private'; // fc00::/7 unique local
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return 'link-local'; // fe80::/10
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0xc0) return 'private'; // fec0::/10 deprecated site-local
  if (b[0] === 0xff) return 'multicast';
  if (word(0) === 0x2002) return embeddedV4(2); // 6to4 routes to its embedded IPv4 address
  if (word(0) === 0x2001 && b[2] < 0x02) return 'reserved'; // 2001::/23 IETF protocol assignments, incl. Teredo
  if (word(0) === 0x2001 && word(1) === 0x0db8) return 'reserved'; // documentation
  if (word(0) === 0x0100 && word(1) === 0 && word(2) === 0 && word(3) === 0) return 'reserved'; // discard-only
  if (word(0) === 0x3fff && b[2] < 0x10) return 'reserved'; // 3fff::/20 documentation
  if (word(0) === 0x5f00) return 'reserved'; // SRv6 SIDs
  if ((b[0] & 0xe0) !== 0x20) return 'reserved'; // only 2000::/3 is global unicast
  return 'public';
}
