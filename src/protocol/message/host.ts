/**
 * Socket addresses as RocketMQ stores them in records and message ids: a 4-byte IPv4 or 16-byte IPv6 address
 * followed by an int32 port (reference §5.4, §5.9). Pure text/byte conversion, no name resolution.
 */
import { ProtocolError, RocketMQError } from '../../common/errors.js';

/** An IP address in text form ("10.0.0.5", "fe80::1") and a port. */
export interface HostAddress {
  host: string;
  port: number;
}

/** Bytes of an encoded IPv4 host (4-byte IP + int32 port). */
export const HOST_V4_LENGTH = 8;
/** Bytes of an encoded IPv6 host (16-byte IP + int32 port). */
export const HOST_V6_LENGTH = 20;

/** True when `host` is IPv6 text (contains a colon). "::ffff:1.2.3.4" is IPv6 here; see {@link normalizeHost}. */
export function isIPv6(host: string): boolean {
  return host.includes(':');
}

/**
 * Strips an IPv6 zone ("fe80::1%eth0" → "fe80::1") and turns an IPv4-mapped IPv6 address ("::ffff:1.2.3.4", as a
 * dual-stack socket reports IPv4 peers) into plain IPv4, as Java's InetAddress does.
 */
export function normalizeHost(host: string): string {
  const zone = host.indexOf('%');
  const bare = zone >= 0 ? host.slice(0, zone) : host;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  return mapped ? mapped[1]! : bare;
}

/** Byte length (IP + port) of `addr` once encoded. */
export function encodedHostLength(addr: HostAddress): number {
  return isIPv6(addr.host) ? HOST_V6_LENGTH : HOST_V4_LENGTH;
}

/**
 * Writes `addr` at `offset`: the 4- or 16-byte IP then the port as int32 big-endian. Returns the bytes written
 * (8 or 20). Throws RocketMQError INVALID_PARAMETER for text that is not an IP address or a port outside int32.
 */
export function encodeHost(addr: HostAddress, buf: Buffer, offset: number): number {
  const ip = lookupIp(addr.host);
  if (ip === undefined) throw new RocketMQError('INVALID_PARAMETER', `not an IP address: ${JSON.stringify(addr.host)}`);
  if (!Number.isInteger(addr.port) || addr.port < -0x80000000 || addr.port > 0x7fffffff) {
    throw new RocketMQError('INVALID_PARAMETER', `port out of range: ${addr.port}`);
  }
  if (offset < 0 || offset + ip.length + 4 > buf.length) {
    throw new RocketMQError('INVALID_PARAMETER', 'host does not fit in the target buffer');
  }
  buf.set(ip, offset);
  buf.writeInt32BE(addr.port, offset + ip.length);
  return ip.length + 4;
}

/** Dotted texts of recently decoded IPv4 addresses: a pull response repeats the same born and store hosts. */
const IPV4_TEXT_CACHE_MAX = 1024;
const ipv4Texts = new Map<number, string>();

function formatIPv4(buf: Buffer, offset: number): string {
  const key = buf.readUInt32BE(offset);
  let text = ipv4Texts.get(key);
  if (text === undefined) {
    text = `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
    if (ipv4Texts.size >= IPV4_TEXT_CACHE_MAX) ipv4Texts.clear();
    ipv4Texts.set(key, text);
  }
  return text;
}

/** Reads an address written by {@link encodeHost}; `v6` selects 16-byte IP. Overrun ⇒ ProtocolError RECORD_MALFORMED. */
export function decodeHost(buf: Buffer, offset: number, v6: boolean): HostAddress {
  const ipLength = v6 ? 16 : 4;
  if (offset < 0 || offset + ipLength + 4 > buf.length) {
    throw new ProtocolError('RECORD_MALFORMED', 'host address runs past the end of the buffer');
  }
  const host = v6 ? formatIPv6(buf, offset) : formatIPv4(buf, offset);
  return { host, port: buf.readInt32BE(offset + ipLength) };
}

/** "host:port" as RocketMQ writes broker and client addresses (IPv6 without brackets, port after the last colon). */
export function formatHostAddress(addr: HostAddress): string {
  return `${addr.host}:${addr.port}`;
}

/** Parses "host:port" or "[v6]:port"; undefined when there is no valid port. */
export function parseHostAddress(text: string): HostAddress | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  let host = text.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}

/** The raw bytes of an IPv4 or IPv6 text address (zone ids ignored), or undefined when it is not one. */
export function parseIp(host: string): Uint8Array | undefined {
  return lookupIp(host)?.slice();
}

/**
 * {@link parseIp} through a cache and without the copy: the returned bytes are shared and must not be modified.
 * For encoders that write the same few hosts over and over (the store's append path).
 */
export function lookupIp(host: string): Uint8Array | undefined {
  const cached = ipCache.get(host);
  if (cached !== undefined) return cached;
  const ip = isIPv6(host) ? parseIPv6(host) : parseIPv4(host);
  if (ip !== undefined) {
    if (ipCache.size >= IP_CACHE_LIMIT) ipCache.clear();
    ipCache.set(host, ip);
  }
  return ip;
}

/** Parsed addresses by text: records repeat the same few hosts, so encoding skips re-parsing them. */
const ipCache = new Map<string, Uint8Array>();
const IP_CACHE_LIMIT = 4096;

function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIPv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  const bare = zone >= 0 ? text.slice(0, zone) : text;
  const halves = bare.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const groups = head.length + tail.length;
  if (halves.length === 2 ? groups > 7 : groups !== 8) return undefined;
  const out = new Uint8Array(16);
  head.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  tail.forEach((g, i) => {
    const at = 16 - 2 * (tail.length - i);
    out[at] = g >> 8;
    out[at + 1] = g & 0xff;
  });
  return out;
}

/** Colon-separated hex groups; the last may be a dotted IPv4 address (two groups). */
function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIPv4(part);
      if (v4 === undefined) return undefined;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
      groups.push(Number.parseInt(part, 16));
    }
  }
  return groups;
}

/** RFC 5952 text: lowercase, longest run of ≥2 zero groups as "::", IPv4-mapped addresses as "::ffff:a.b.c.d". */
function formatIPv6(buf: Buffer, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(offset + 2 * i));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${buf[offset + 12]}.${buf[offset + 13]}.${buf[offset + 14]}.${buf[offset + 15]}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
