/**
 * The CommitLog record (reference §5.4): one stored message, byte for byte what a pull response carries.
 *
 * ```
 * TOTALSIZE i32 | MAGIC i32 | BODYCRC i32 | QUEUEID i32 | FLAG i32 | QUEUEOFFSET i64 | PHYSICALOFFSET i64 |
 * SYSFLAG i32 | BORNTIMESTAMP i64 | BORNHOST 8/20 | STORETIMESTAMP i64 | STOREHOST 8/20 | RECONSUMETIMES i32 |
 * PREPAREDTXOFFSET i64 | BODYLEN i32 | BODY | TOPICLEN i8 (V1) / i16 (V2) | TOPIC | PROPSLEN i16 | PROPERTIES
 * ```
 */
import { isUtf8 } from 'node:buffer';
import { ProtocolError, RocketMQError } from '../../common/errors.js';
import { isAsciiRange } from '../ascii.js';
import { crc32 } from './crc32.js';
import { decodeHost, encodeHost, HOST_V4_LENGTH, HOST_V6_LENGTH, type HostAddress, isIPv6, lookupIp } from './host.js';
import { MessageSysFlag } from './sysflag.js';

/** Magic of a record with a 1-byte topic length. */
export const MESSAGE_MAGIC_V1 = 0xdaa320a7 | 0;
/** Magic of a record with a 2-byte topic length (topics longer than 127 bytes). */
export const MESSAGE_MAGIC_V2 = 0xdaa320ab | 0;
/** Magic of the end-of-file filler: `int32 remaining | int32 BLANK_MAGIC`. */
export const BLANK_MAGIC = 0xcbd43194 | 0;
/** Bytes of the end-of-file filler header. */
export const BLANK_RECORD_SIZE = 8;
/** Record bytes besides body, topic and properties for IPv4 hosts and V1 magic. */
export const RECORD_FIXED_SIZE = 91;
/** Longest topic (UTF-8 bytes) a V1 record can hold. */
export const MAX_V1_TOPIC_BYTES = 127;
/** Longest topic or properties string (UTF-8 bytes): the int16 length field. */
export const MAX_SHORT_FIELD_BYTES = 32767;

/** Byte positions of the fixed fields. Fields from STORETIMESTAMP on shift by +12 after an IPv6 born host. */
export const RecordField = {
  TOTAL_SIZE: 0,
  MAGIC: 4,
  BODY_CRC: 8,
  QUEUE_ID: 12,
  FLAG: 16,
  QUEUE_OFFSET: 20,
  PHYSICAL_OFFSET: 28,
  SYS_FLAG: 36,
  BORN_TIMESTAMP: 40,
  BORN_HOST: 48,
  /** With an IPv4 born host; add 12 for IPv6. */
  STORE_TIMESTAMP: 56,
} as const;

/** One stored message. */
export interface MessageRecord {
  topic: string;
  queueId: number;
  flag: number;
  queueOffset: number;
  physicalOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostAddress;
  storeTimestamp: number;
  storeHost: HostAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Buffer;
  /** The properties string (reference §5.1), see decodeProperties. */
  properties: string;
  /** CRC32(body) & 0x7fffffff, as stored. */
  bodyCrc: number;
}

/** A record to encode; the body CRC is computed when absent. */
export type MessageRecordInput = Omit<MessageRecord, 'bodyCrc'> & { bodyCrc?: number };

/** Options of {@link decodeRecord}. */
export interface DecodeRecordOptions {
  /** Copy the body out (default true); false leaves `body` empty. */
  readBody?: boolean;
  /** Verify the stored body CRC (default false). */
  checkCrc?: boolean;
}

/** Options of {@link encodeRecord}. */
export interface EncodeRecordOptions {
  /** Always V1 magic (1-byte topic length); a topic over 127 bytes is then an error. */
  forceV1?: boolean;
}

/** CRC32(body) & 0x7fffffff, the BODYCRC field. */
export function crc32Body(body: Uint8Array): number {
  return crc32(body) & 0x7fffffff;
}

/** Bytes of one record; magic V2 when the topic's UTF-8 length > 127 (1-byte length otherwise). */
export function recordSize(
  topicBytes: number,
  bodyBytes: number,
  propsBytes: number,
  bornV6: boolean,
  storeV6: boolean,
): number {
  return (
    RECORD_FIXED_SIZE +
    (topicBytes > MAX_V1_TOPIC_BYTES ? 1 : 0) +
    (bornV6 ? 12 : 0) +
    (storeV6 ? 12 : 0) +
    bodyBytes +
    topicBytes +
    propsBytes
  );
}

/** Bytes `rec` takes once encoded. */
export function encodedRecordSize(rec: MessageRecordInput): number {
  return recordSize(
    Buffer.byteLength(rec.topic, 'utf8'),
    rec.body.length,
    Buffer.byteLength(rec.properties, 'utf8'),
    isIPv6(rec.bornHost.host),
    isIPv6(rec.storeHost.host),
  );
}

/** Encodes one record into a new Buffer, computing the body CRC if absent. */
export function encodeRecord(rec: MessageRecordInput, options?: EncodeRecordOptions): Buffer {
  const size = encodedRecordSize(rec);
  const out = Buffer.allocUnsafe(size);
  encodeRecordInto(rec, out, 0, options);
  return out;
}

/**
 * Writes one record into `target` at `offset` (the store appends into its write buffer without an extra copy) and
 * returns its size. The stored sysFlag gets its two IPv6 bits set from the host texts, whatever `rec.sysFlag` says.
 * Throws RocketMQError MESSAGE_ILLEGAL for an empty or too long topic or properties over 32767 bytes, and
 * INVALID_PARAMETER for values outside their field's range or a target too small; nothing is written then.
 */
export function encodeRecordInto(
  rec: MessageRecordInput,
  target: Buffer,
  offset: number,
  options?: EncodeRecordOptions,
): number {
  const topicBytes = Buffer.byteLength(rec.topic, 'utf8');
  const propsBytes = Buffer.byteLength(rec.properties, 'utf8');
  const bornV6 = isIPv6(rec.bornHost.host);
  const storeV6 = isIPv6(rec.storeHost.host);
  const v2 = topicBytes > MAX_V1_TOPIC_BYTES;
  if (topicBytes === 0) throw new RocketMQError('MESSAGE_ILLEGAL', 'empty topic');
  if (topicBytes > MAX_SHORT_FIELD_BYTES || (v2 && options?.forceV1)) {
    throw new RocketMQError('MESSAGE_ILLEGAL', `topic too long: ${topicBytes} bytes`);
  }
  if (propsBytes > MAX_SHORT_FIELD_BYTES) {
    throw new RocketMQError('MESSAGE_ILLEGAL', `properties too long: ${propsBytes} bytes`);
  }
  const size = recordSize(topicBytes, rec.body.length, propsBytes, bornV6, storeV6);
  if (!Number.isInteger(offset) || offset < 0 || offset + size > target.length) {
    throw new RocketMQError('INVALID_PARAMETER', `record of ${size} bytes does not fit at ${offset}`);
  }
  const bodyCrc = rec.bodyCrc ?? crc32Body(rec.body);
  checkInt32(bodyCrc, 'bodyCrc');
  checkInt32(rec.queueId, 'queueId');
  checkInt32(rec.flag, 'flag');
  checkInt64(rec.queueOffset, 'queueOffset');
  checkInt64(rec.physicalOffset, 'physicalOffset');
  checkInt32(rec.sysFlag, 'sysFlag');
  checkInt64(rec.bornTimestamp, 'bornTimestamp');
  const bornIp = hostIp(rec.bornHost);
  checkInt64(rec.storeTimestamp, 'storeTimestamp');
  const storeHost = Buffer.allocUnsafe(storeV6 ? HOST_V6_LENGTH : HOST_V4_LENGTH);
  encodeHost(rec.storeHost, storeHost, 0);
  checkInt32(rec.reconsumeTimes, 'reconsumeTimes');
  checkInt64(rec.preparedTransactionOffset, 'preparedTransactionOffset');
  writeRecordUnchecked(
    target,
    offset,
    size,
    rec,
    bornIp,
    Buffer.from(rec.topic, 'utf8'),
    propsBytes,
    storeHost,
    rec.queueOffset,
    rec.physicalOffset,
    rec.storeTimestamp,
    bodyCrc,
  );
  return size;
}

/** The fields of a record that its writer copies from the message as they are. */
export type RecordSource = Pick<
  MessageRecord,
  | 'queueId'
  | 'flag'
  | 'sysFlag'
  | 'bornTimestamp'
  | 'bornHost'
  | 'reconsumeTimes'
  | 'preparedTransactionOffset'
  | 'body'
  | 'properties'
>;

/**
 * Writes one record whose fields the caller has validated: the store's append path, where it runs once per message.
 * It is {@link encodeRecordInto} without the checks and without re-deriving what a writer of many records knows
 * already, so the caller guarantees:
 * - `size` is the record's exact size ({@link recordSize} of these parts) and `target` has room for it at `at`;
 * - int32 fields of `src` are int32s, int64 ones (and the three positions) safe integers, the port an int32;
 * - `bornIp` is the 4 or 16 address bytes of `src.bornHost` ({@link lookupIp}), `topic` the topic's UTF-8 bytes
 *   (1 to 32767; V2 magic when over 127), `storeHost` the 8 or 20 bytes {@link encodeHost} writes for the store host,
 *   `propsBytes` the UTF-8 length of `src.properties` (at most 32767), `bodyCrc` the BODYCRC field.
 * Fields are written byte by byte: no range checks, no BigInt, no temporary objects. The bytes are the same as
 * encodeRecordInto's (the tests compare the two).
 */
export function writeRecordUnchecked(
  target: Buffer,
  at: number,
  size: number,
  src: RecordSource,
  bornIp: Uint8Array,
  topic: Uint8Array,
  propsBytes: number,
  storeHost: Uint8Array,
  queueOffset: number,
  physicalOffset: number,
  storeTimestamp: number,
  bodyCrc: number,
): void {
  const v2 = topic.length > MAX_V1_TOPIC_BYTES;
  const sysFlag =
    (src.sysFlag & ~(MessageSysFlag.BORNHOST_V6_FLAG | MessageSysFlag.STOREHOSTADDRESS_V6_FLAG)) |
    (bornIp.length === 16 ? MessageSysFlag.BORNHOST_V6_FLAG : 0) |
    (storeHost.length === HOST_V6_LENGTH ? MessageSysFlag.STOREHOSTADDRESS_V6_FLAG : 0);
  putInt32(target, at, size);
  putInt32(target, at + 4, v2 ? MESSAGE_MAGIC_V2 : MESSAGE_MAGIC_V1);
  putInt32(target, at + 8, bodyCrc);
  putInt32(target, at + 12, src.queueId);
  putInt32(target, at + 16, src.flag);
  putInt64(target, at + 20, queueOffset);
  putInt64(target, at + 28, physicalOffset);
  putInt32(target, at + 36, sysFlag);
  putInt64(target, at + 40, src.bornTimestamp);
  let p = at + RecordField.BORN_HOST;
  putBytes(target, p, bornIp);
  p += bornIp.length;
  putInt32(target, p, src.bornHost.port);
  putInt64(target, p + 4, storeTimestamp);
  p += 12;
  putBytes(target, p, storeHost);
  p += storeHost.length;
  putInt32(target, p, src.reconsumeTimes);
  putInt64(target, p + 4, src.preparedTransactionOffset);
  const body = src.body;
  putInt32(target, p + 12, body.length);
  p += 16;
  target.set(body, p);
  p += body.length;
  if (v2) {
    target[p++] = topic.length >>> 8;
  }
  target[p++] = topic.length;
  putBytes(target, p, topic);
  p += topic.length;
  target[p] = propsBytes >>> 8;
  target[p + 1] = propsBytes;
  if (propsBytes > 0) target.write(src.properties, p + 2, propsBytes, 'utf8');
}

/** Big-endian int32 (or uint32) at `at`; Uint8Array stores keep the low 8 bits of each shifted value. */
function putInt32(target: Uint8Array, at: number, value: number): void {
  target[at] = value >>> 24;
  target[at + 1] = value >>> 16;
  target[at + 2] = value >>> 8;
  target[at + 3] = value;
}

/**
 * Big-endian int64 of a safe integer at `at`, as two int32 halves: the high half is floor(value / 2^32) (negative
 * for negative values, two's complement), the low half value mod 2^32, which `>>> 0` yields for any safe integer.
 */
function putInt64(target: Uint8Array, at: number, value: number): void {
  putInt32(target, at, Math.floor(value / 0x100000000));
  putInt32(target, at + 4, value >>> 0);
}

/** Copies a few bytes (host, topic): a plain loop beats TypedArray#set's call overhead at these lengths. */
function putBytes(target: Uint8Array, at: number, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) target[at + i] = bytes[i]!;
}

/** The IP bytes of `host` with the checks of {@link encodeHost}. */
function hostIp(host: HostAddress): Uint8Array {
  const ip = lookupIp(host.host);
  if (ip === undefined) throw new RocketMQError('INVALID_PARAMETER', `not an IP address: ${JSON.stringify(host.host)}`);
  if (!Number.isInteger(host.port) || host.port < -0x80000000 || host.port > 0x7fffffff) {
    throw new RocketMQError('INVALID_PARAMETER', `port out of range: ${host.port}`);
  }
  return ip;
}

const EMPTY = Buffer.alloc(0);

/**
 * Decodes one record at `offset`. Throws ProtocolError RECORD_MALFORMED on any inconsistency: bad magic (including
 * the blank end-of-file magic), TOTALSIZE not matching the recomputed length, a field running past TOTALSIZE or the
 * buffer, an empty topic, invalid UTF-8 in topic or properties, an int64 beyond 2^53, or a CRC mismatch when checked.
 */
export function decodeRecord(buf: Buffer, offset = 0, options?: DecodeRecordOptions): MessageRecord & { size: number } {
  if (!Number.isInteger(offset) || offset < 0 || offset + 8 > buf.length) malformed('no record header at this offset');
  const size = buf.readInt32BE(offset);
  const magic = buf.readInt32BE(offset + 4);
  if (magic === BLANK_MAGIC) malformed('blank end-of-file record');
  if (magic !== MESSAGE_MAGIC_V1 && magic !== MESSAGE_MAGIC_V2) malformed(`bad magic 0x${(magic >>> 0).toString(16)}`);
  const end = offset + size;
  if (size < RECORD_FIXED_SIZE || end > buf.length) malformed(`record size ${size} out of bounds`);
  const sysFlag = buf.readInt32BE(offset + RecordField.SYS_FLAG);
  const bornV6 = (sysFlag & MessageSysFlag.BORNHOST_V6_FLAG) !== 0;
  const storeV6 = (sysFlag & MessageSysFlag.STOREHOSTADDRESS_V6_FLAG) !== 0;
  const v2 = magic === MESSAGE_MAGIC_V2;
  // Every fixed field up to and including BODYLEN and the topic length must lie inside the record.
  const minSize = RECORD_FIXED_SIZE + (bornV6 ? 12 : 0) + (storeV6 ? 12 : 0) + (v2 ? 1 : 0);
  if (size < minSize) malformed(`record size ${size} below the ${minSize}-byte minimum`);

  const bodyCrc = buf.readInt32BE(offset + RecordField.BODY_CRC);
  const queueId = buf.readInt32BE(offset + RecordField.QUEUE_ID);
  const flag = buf.readInt32BE(offset + RecordField.FLAG);
  const queueOffset = readInt64(buf, offset + RecordField.QUEUE_OFFSET);
  const physicalOffset = readInt64(buf, offset + RecordField.PHYSICAL_OFFSET);
  const bornTimestamp = readInt64(buf, offset + RecordField.BORN_TIMESTAMP);
  let p = offset + RecordField.BORN_HOST;
  const bornHost = decodeHost(buf, p, bornV6);
  p += bornV6 ? 20 : 8;
  const storeTimestamp = readInt64(buf, p);
  p += 8;
  const storeHost = decodeHost(buf, p, storeV6);
  p += storeV6 ? 20 : 8;
  const reconsumeTimes = buf.readInt32BE(p);
  const preparedTransactionOffset = readInt64(buf, p + 4);
  const bodyLength = buf.readInt32BE(p + 12);
  p += 16;
  if (bodyLength < 0 || bodyLength > end - p) malformed(`body length ${bodyLength} out of bounds`);
  const bodyStart = p;
  p += bodyLength;
  if (p + (v2 ? 2 : 1) > end) malformed('topic length runs past the record');
  const topicLength = v2 ? buf.readInt16BE(p) : buf.readInt8(p);
  p += v2 ? 2 : 1;
  if (topicLength <= 0 || p + topicLength + 2 > end) malformed(`topic length ${topicLength} out of bounds`);
  const topic = readUtf8(buf, p, p + topicLength, 'topic');
  p += topicLength;
  const propsLength = buf.readInt16BE(p);
  p += 2;
  if (propsLength < 0 || p + propsLength !== end) {
    malformed(`TOTALSIZE ${size} does not match the recomputed length ${p + propsLength - offset}`);
  }
  const properties = propsLength === 0 ? '' : readUtf8(buf, p, end, 'properties');

  const bodyView = buf.subarray(bodyStart, bodyStart + bodyLength);
  if (options?.checkCrc && crc32Body(bodyView) !== bodyCrc) malformed('body CRC mismatch');
  const body = options?.readBody === false ? EMPTY : Buffer.from(bodyView);
  return {
    topic,
    queueId,
    flag,
    queueOffset,
    physicalOffset,
    sysFlag,
    bornTimestamp,
    bornHost,
    storeTimestamp,
    storeHost,
    reconsumeTimes,
    preparedTransactionOffset,
    body,
    properties,
    bodyCrc,
    size,
  };
}

/** Decodes back-to-back records filling `buf` entirely (a pull or query body). */
export function decodeRecords(buf: Buffer, options?: DecodeRecordOptions): MessageRecord[] {
  const out: MessageRecord[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const { size, ...rec } = decodeRecord(buf, offset, options);
    out.push(rec);
    offset += size;
  }
  return out;
}

/** Where STORETIMESTAMP sits in a record with this sysFlag. */
export function storeTimestampPosition(sysFlag: number): number {
  return RecordField.STORE_TIMESTAMP + (sysFlag & MessageSysFlag.BORNHOST_V6_FLAG ? 12 : 0);
}

/**
 * Patches QUEUEOFFSET, PHYSICALOFFSET and STORETIMESTAMP of the encoded record at `offset` in place (the store
 * assigns them at append time). Reads the record's sysFlag to find the store timestamp.
 */
export function patchRecordPosition(
  buf: Buffer,
  offset: number,
  queueOffset: number,
  physicalOffset: number,
  storeTimestamp: number,
): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + RECORD_FIXED_SIZE > buf.length) {
    throw new RocketMQError('INVALID_PARAMETER', `no record at ${offset}`);
  }
  const at = offset + storeTimestampPosition(buf.readInt32BE(offset + RecordField.SYS_FLAG));
  writeInt64(buf, queueOffset, offset + RecordField.QUEUE_OFFSET, 'queueOffset');
  writeInt64(buf, physicalOffset, offset + RecordField.PHYSICAL_OFFSET, 'physicalOffset');
  writeInt64(buf, storeTimestamp, at, 'storeTimestamp');
}

/** Writes the end-of-file filler (`int32 remaining | int32 BLANK_MAGIC`) at `offset`; returns 8. */
export function writeBlankRecord(target: Buffer, offset: number, remaining: number): number {
  if (!Number.isInteger(offset) || offset < 0 || offset + BLANK_RECORD_SIZE > target.length) {
    throw new RocketMQError('INVALID_PARAMETER', `blank record does not fit at ${offset}`);
  }
  writeInt32(target, remaining, offset, 'remaining');
  target.writeInt32BE(BLANK_MAGIC, offset + 4);
  return BLANK_RECORD_SIZE;
}

/** True when an end-of-file filler starts at `offset`. */
export function isBlankRecord(buf: Buffer, offset: number): boolean {
  return offset >= 0 && offset + 8 <= buf.length && buf.readInt32BE(offset + 4) === BLANK_MAGIC;
}

function malformed(message: string): never {
  throw new ProtocolError('RECORD_MALFORMED', message);
}

function readUtf8(buf: Buffer, start: number, end: number, what: string): string {
  if (isAsciiRange(buf, start, end)) return buf.toString('latin1', start, end);
  const view = buf.subarray(start, end);
  if (!isUtf8(view)) malformed(`${what} is not valid UTF-8`);
  return view.toString('utf8');
}

function readInt64(buf: Buffer, at: number): number {
  const value = buf.readInt32BE(at) * 0x100000000 + buf.readUInt32BE(at + 4);
  if (!Number.isSafeInteger(value)) malformed('int64 field beyond 2^53');
  return value;
}

function checkInt32(value: number, field: string): void {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
    throw new RocketMQError('INVALID_PARAMETER', `${field} is not an int32: ${value}`);
  }
}

function checkInt64(value: number, field: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new RocketMQError('INVALID_PARAMETER', `${field} is not a safe integer: ${value}`);
  }
}

function writeInt32(buf: Buffer, value: number, at: number, field: string): number {
  checkInt32(value, field);
  putInt32(buf, at, value);
  return at + 4;
}

function writeInt64(buf: Buffer, value: number, at: number, field: string): number {
  checkInt64(value, field);
  putInt64(buf, at, value);
  return at + 8;
}
