import { isIPv4, isIPv6 } from 'node:net';

/** Parses dotted-decimal IPv4 into its four octets; null for anything else. */
export function parseIPv4(value: string): [number, number, number, number] | null {
  if (!isIPv4(value)) return null;
  const [a, b, c, d] = value.split('.').map(Number);
  return [a, b, c, d];
}

/**
 * Parses any textual IPv6 form (compressed, embedded dotted quad, zone id) into 16 bytes;
 * null for anything else. The zone id is dropped: it names an interface, not an address.
 */
export function parseIPv6(value: string): Uint8Array | null {
  const zone = value.indexOf('%');
  let text = zone >= 0 ? value.slice(0, zone) : value;
  if (!isIPv6(text)) return null;

  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (!v4) return null;
    text = `${text.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }

  const gap = text.indexOf('::');
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':'));
  let groups: string[];
  if (gap >= 0) {
    const head = groupsOf(text.slice(0, gap));
    const rest = groupsOf(text.slice(gap + 2));
    groups = [...head, ...Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  } else {
    groups = groupsOf(text);
  }
  if (groups.length !== 8) return null;

  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const n = parseInt(group, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  return bytes;
}
