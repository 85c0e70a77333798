/**
 * Message ids (reference §5.9): the offset message id (store host + CommitLog offset) and the client-generated
 * UNIQ_KEY. Both are uppercase hex of a small byte layout.
 */
import { randomBytes } from 'node:crypto';
import { ProtocolError, RocketMQError } from '../../common/errors.js';
import { decodeHost, encodedHostLength, encodeHost, type HostAddress, parseIp } from './host.js';

/**
 * The offset message id: store IP (4 or 16 bytes) + store port (int32) + physical offset (int64), as uppercase hex
 * (32 characters for IPv4, 56 for IPv6).
 */
export function createOffsetMsgId(storeHost: HostAddress, physicalOffset: number): string {
  if (!Number.isSafeInteger(physicalOffset)) {
    throw new RocketMQError('INVALID_PARAMETER', `physical offset out of range: ${physicalOffset}`);
  }
  if (physicalOffset < 0) {
    const hostLength = encodedHostLength(storeHost);
    const buf = Buffer.allocUnsafe(hostLength + 8);
    encodeHost(storeHost, buf, 0);
    buf.writeBigInt64BE(BigInt(physicalOffset), hostLength);
    return buf.toString('hex').toUpperCase();
  }
  // The broker asks for one id per stored message, always with its own store host: the host's hex is cached and the
  // offset's 16 digits come from a byte table (no buffer, no BigInt).
  return hostHex(storeHost) + hex32(Math.floor(physicalOffset / 0x100000000)) + hex32(physicalOffset >>> 0);
}

const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));

function hex32(n: number): string {
  return HEX_BYTE[n >>> 24]! + HEX_BYTE[(n >>> 16) & 0xff]! + HEX_BYTE[(n >>> 8) & 0xff]! + HEX_BYTE[n & 0xff]!;
}

let cachedHost: HostAddress | undefined;
let cachedHostText = '';
let cachedPort = 0;
let cachedHostHex = '';

/** The uppercase hex of `host` encoded as in a message id; the last host's is kept. */
function hostHex(host: HostAddress): string {
  if (host !== cachedHost || host.host !== cachedHostText || host.port !== cachedPort) {
    const buf = Buffer.allocUnsafe(encodedHostLength(host));
    encodeHost(host, buf, 0);
    cachedHostHex = buf.toString('hex').toUpperCase();
    cachedHost = host;
    cachedHostText = host.host;
    cachedPort = host.port;
  }
  return cachedHostHex;
}

/** Decodes an offset message id. Bad length (not 32/56), non-hex or an offset beyond 2^53 ⇒ ProtocolError MESSAGE_ID_MALFORMED. */
export function decodeOffsetMsgId(id: string): { storeHost: HostAddress; physicalOffset: number } {
  const buf = hexBytes(id, 32, 56);
  const v6 = buf.length === 28;
  const storeHost = decodeHost(buf, 0, v6);
  const offset = buf.readBigInt64BE(v6 ? 20 : 8);
  if (offset < BigInt(Number.MIN_SAFE_INTEGER) || offset > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ProtocolError('MESSAGE_ID_MALFORMED', `offset message id with offset ${offset}`);
  }
  return { storeHost, physicalOffset: Number(offset) };
}

function hexBytes(id: string, ...lengths: number[]): Buffer {
  if (typeof id !== 'string' || !lengths.includes(id.length) || !/^[0-9A-Fa-f]*$/.test(id)) {
    throw new ProtocolError('MESSAGE_ID_MALFORMED', `not a message id: ${JSON.stringify(String(id).slice(0, 64))}`);
  }
  return Buffer.from(id, 'hex');
}

/** The random 4-byte value standing in for Java's ClassLoader hash: one per process. */
const PROCESS_RANDOM = randomBytes(4).readInt32BE(0);

/** Options of {@link UniqueIdGenerator}. */
export interface UniqueIdGeneratorOptions {
  /** This host's IP text (the client's first non-loopback address); default: 4 random bytes, like Java's fake IP. */
  ip?: string;
  /** Process id (low 16 bits used); default `process.pid`. */
  pid?: number;
  /** Clock in epoch ms; default `Date.now`. */
  now?: () => number;
}

/**
 * Generates UNIQ_KEY ids: `ip (4/16) | pid int16 | per-process random int32 | ms since the start of the current month
 * (local time) int32 | counter int16`, as uppercase hex (32 characters for IPv4, 56 for IPv6).
 */
export class UniqueIdGenerator {
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly tail = Buffer.alloc(6);
  private counter = 0;
  private monthStart = 0;
  private nextMonthStart = 0;

  constructor(options: UniqueIdGeneratorOptions = {}) {
    const ip = options.ip === undefined ? randomBytes(4) : parseIp(options.ip);
    if (ip === undefined) throw new RocketMQError('INVALID_PARAMETER', `not an IP address: ${options.ip}`);
    const fixed = Buffer.alloc(ip.length + 6);
    fixed.set(ip, 0);
    fixed.writeUInt16BE((options.pid ?? process.pid) & 0xffff, ip.length);
    fixed.writeInt32BE(PROCESS_RANDOM, ip.length + 2);
    this.prefix = fixed.toString('hex').toUpperCase();
    this.now = options.now ?? Date.now;
  }

  /** The next id. */
  next(): string {
    const now = this.now();
    if (now >= this.nextMonthStart || now < this.monthStart) {
      this.monthStart = startOfMonth(now, 0);
      this.nextMonthStart = startOfMonth(now, 1);
    }
    const sinceMonthStart = Math.max(0, now - this.monthStart) | 0;
    this.tail.writeInt32BE(sinceMonthStart, 0);
    this.tail.writeUInt16BE(this.counter, 4);
    this.counter = (this.counter + 1) & 0xffff;
    return this.prefix + this.tail.toString('hex').toUpperCase();
  }
}

/**
 * The approximate creation time (epoch ms) of a UNIQ_KEY: its month offset added to the start of the current month,
 * or of the previous month when that would lie at or after `now` (as Java's `getNearlyTimeFromID`).
 * Bad id ⇒ ProtocolError MESSAGE_ID_MALFORMED.
 */
export function uniqIdTimestamp(id: string, now = Date.now()): number {
  const buf = hexBytes(id, 32, 56);
  const ipLength = buf.length === 28 ? 16 : 4;
  const sinceMonthStart = buf.readUInt32BE(ipLength + 6);
  let monthStart = startOfMonth(now, 0);
  if (monthStart + sinceMonthStart >= now) monthStart = startOfMonth(now, -1);
  return monthStart + sinceMonthStart;
}

/** Local-time start of the month containing `epochMs`, moved by `monthDelta` months. */
function startOfMonth(epochMs: number, monthDelta: number): number {
  const d = new Date(epochMs);
  return new Date(d.getFullYear(), d.getMonth() + monthDelta, 1, 0, 0, 0, 0).getTime();
}
