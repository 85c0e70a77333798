/**
 * The ROCKETMQ binary header (serialize type 1, reference §1.5). Big-endian throughout:
 *
 * ```
 * code:int16 | language:u8 | version:int16 | opaque:int32 | flag:int32 | remarkLen:int32 remark
 * | extLen:int32 { keyLen:int16 key | valLen:int32 value }*
 * ```
 *
 * Zero-length strings mean null: an empty remark decodes as undefined, an entry with an empty key or value is skipped.
 * Strings must be valid UTF-8 (we are stricter than Java, which would substitute U+FFFD).
 */
import { isUtf8 } from 'node:buffer';
import { ProtocolError } from '../common/errors.js';
import { isAsciiRange } from './ascii.js';
import type { RemotingCommand } from './command.js';

/** Size of a binary header with no remark and no ext fields. */
export const MIN_BINARY_HEADER_LENGTH = 21;

/** The header fields a header decoder yields (body and serialize type come from the frame). */
export type DecodedHeader = Omit<RemotingCommand, 'body' | 'serializeType'>;

type BinaryHeaderFields = Pick<
  RemotingCommand,
  'code' | 'language' | 'version' | 'opaque' | 'flag' | 'remark' | 'extFields'
>;

function checkInt(value: number, min: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ProtocolError(
      'INVALID_HEADER_FIELD',
      `binary header cannot encode ${field}=${value}: outside the ${min}..${max} range of its wire type`,
    );
  }
}

/** Strings up to this length are copied by a JS loop; longer ones by one native UTF-8 write. */
const SHORT_STRING = 512;

/**
 * The scratch buffer headers are encoded into (grown on demand). Encoding is synchronous and not re-entrant, so one
 * buffer serves every call; callers copy the bytes out before the next encode.
 */
let scratch = Buffer.allocUnsafeSlow(2048);

/** Makes room for `needed` bytes from offset 0 of the scratch buffer, keeping the first `used` bytes. */
function reserve(used: number, needed: number): void {
  if (needed <= scratch.length) return;
  const bigger = Buffer.allocUnsafeSlow(Math.max(needed, scratch.length * 2));
  scratch.copy(bigger, 0, 0, used);
  scratch = bigger;
}

/**
 * Writes `text` as UTF-8 at `pos` preceded by its byte length (an int16 when `lengthBytes` is 2, else an int32);
 * returns the offset after it. Short ASCII text, the usual case, is copied char by char: a native call per field costs
 * more than the loop.
 */
function writeSized(text: string, pos: number, lengthBytes: 2 | 4, field: string): number {
  const start = pos + lengthBytes;
  reserve(pos, start + 3 * text.length);
  const buf = scratch;
  const n = text.length;
  let written = -1;
  if (n <= SHORT_STRING) {
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) break;
      buf[start + i] = c;
    }
    if (i === n) written = n;
  }
  if (written < 0) written = buf.write(text, start, 'utf8');
  if (lengthBytes === 2) {
    if (written > 0x7fff) {
      throw new ProtocolError('INVALID_HEADER_FIELD', `binary header cannot encode ${field} of ${written} bytes`);
    }
    buf[pos] = written >>> 8;
    buf[pos + 1] = written & 0xff;
  } else {
    buf[pos] = written >>> 24;
    buf[pos + 1] = (written >>> 16) & 0xff;
    buf[pos + 2] = (written >>> 8) & 0xff;
    buf[pos + 3] = written & 0xff;
  }
  return start + written;
}

/**
 * Encodes the binary header of `cmd` into a shared scratch buffer and returns a view of it, valid only until the next
 * call: copy it out (frame.ts copies it straight into the frame). Fields the layout cannot represent (a code or
 * version outside int16, a language outside a byte, a key longer than 32767 bytes) throw ProtocolError
 * INVALID_HEADER_FIELD instead of being truncated.
 */
export function encodeBinaryHeaderScratch(cmd: BinaryHeaderFields): Buffer {
  checkInt(cmd.code, -0x8000, 0x7fff, 'code');
  checkInt(cmd.version, -0x8000, 0x7fff, 'version');
  checkInt(cmd.language, 0, 0xff, 'language');
  checkInt(cmd.opaque, -0x80000000, 0xffffffff, 'opaque');
  checkInt(cmd.flag, -0x80000000, 0xffffffff, 'flag');
  const buf = scratch;
  buf.writeInt16BE(cmd.code, 0);
  buf[2] = cmd.language;
  buf.writeInt16BE(cmd.version, 3);
  buf.writeUInt32BE(cmd.opaque >>> 0, 5);
  buf.writeUInt32BE(cmd.flag >>> 0, 9);
  let pos = cmd.remark ? writeSized(cmd.remark, 13, 4, 'remark') : (scratch.writeUInt32BE(0, 13), 17);
  const extStart = pos;
  pos += 4;
  const fields = cmd.extFields;
  if (fields) {
    const keys = Object.keys(fields);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      const value = fields[key];
      if (value === undefined || value === null) continue; // Java skips null entries
      pos = writeSized(key, pos, 2, 'ext key');
      pos = writeSized(typeof value === 'string' ? value : String(value), pos, 4, 'ext value');
    }
  }
  scratch.writeUInt32BE(pos - extStart - 4, extStart);
  return scratch.subarray(0, pos);
}

/** The binary header of `cmd` as bytes of its own. See encodeBinaryHeaderScratch. */
export function encodeBinaryHeader(cmd: BinaryHeaderFields): Buffer {
  return Buffer.from(encodeBinaryHeaderScratch(cmd));
}

function malformed(message: string): ProtocolError {
  return new ProtocolError('HEADER_MALFORMED', `binary header: ${message}`);
}

/**
 * The text of bytes[start, end), given `latin1` = the latin1 view of the header from `base`. ASCII text is a cheap
 * slice of that view; anything else is decoded as UTF-8, and rejected when invalid.
 */
function readText(bytes: Buffer, latin1: string, base: number, start: number, end: number, field: string): string {
  if (isAsciiRange(bytes, start, end)) return latin1.slice(start - base, end - base);
  const text = bytes.toString('utf8', start, end);
  if (text.includes('\uFFFD') && !isUtf8(bytes.subarray(start, end))) throw malformed(`${field} is not valid UTF-8`);
  return text;
}

/**
 * Decodes the binary header held in bytes[start, end). Throws ProtocolError HEADER_MALFORMED when a length overruns
 * the header, a length is negative, or a string is not UTF-8. Duplicate ext keys: the last wins.
 */
export function decodeBinaryHeaderAt(bytes: Buffer, start: number, end: number): DecodedHeader {
  if (end - start < MIN_BINARY_HEADER_LENGTH) throw malformed(`${end - start} bytes, at least 21 needed`);
  // One native call turns the whole header into a string; ASCII keys and values are then slices of it.
  // the strings area (after the 13 fixed bytes) as latin1, one char per byte
  const base = start + 13;
  const latin1 = bytes.toString('latin1', base, end);
  // When the whole area is ASCII (lengths included: no value of 128+ bytes), every string is a plain slice of it;
  // otherwise each string is checked on its own.
  const allAscii = isAsciiRange(bytes, base, end);
  const code = bytes.readInt16BE(start);
  const language = bytes[start + 2]!;
  const version = bytes.readInt16BE(start + 3);
  const opaque = bytes.readInt32BE(start + 5);
  const flag = bytes.readInt32BE(start + 9);
  let pos = start + 13;
  const remarkLength = bytes.readInt32BE(pos);
  pos += 4;
  // remark plus the 4-byte ext length must fit
  if (remarkLength < 0 || remarkLength > end - pos - 4) throw malformed(`remark length ${remarkLength} overruns`);
  const remark = remarkLength > 0 ? readText(bytes, latin1, base, pos, pos + remarkLength, 'remark') : undefined;
  pos += remarkLength;
  const extLength = bytes.readInt32BE(pos);
  pos += 4;
  if (extLength < 0 || extLength > end - pos) throw malformed(`ext area length ${extLength} overruns`);
  const extEnd = pos + extLength;
  let extFields: Record<string, string> | undefined;
  while (pos < extEnd) {
    if (extEnd - pos < 2) throw malformed('truncated ext key length');
    const keyLength = bytes.readInt16BE(pos);
    pos += 2;
    if (keyLength < 0 || keyLength > extEnd - pos - 4) throw malformed(`ext key length ${keyLength} overruns`);
    const keyStart = pos;
    pos += keyLength;
    const valueLength = bytes.readInt32BE(pos);
    pos += 4;
    if (valueLength < 0 || valueLength > extEnd - pos) throw malformed(`ext value length ${valueLength} overruns`);
    const valueStart = pos;
    pos += valueLength;
    if (keyLength === 0 || valueLength === 0) continue; // null key or value: Java would store null; we skip it
    const key = allAscii
      ? latin1.slice(keyStart - base, keyStart - base + keyLength)
      : readText(bytes, latin1, base, keyStart, keyStart + keyLength, 'ext key');
    const value = allAscii
      ? latin1.slice(valueStart - base, pos - base)
      : readText(bytes, latin1, base, valueStart, pos, 'ext value');
    extFields ??= {};
    if (key === '__proto__') {
      Object.defineProperty(extFields, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      extFields[key] = value;
    }
  }
  // bytes after the ext area are ignored, as Java does
  return { code, language, version, opaque, flag, remark, extFields };
}

/** Decodes a whole buffer as one binary header. See decodeBinaryHeaderAt. */
export function decodeBinaryHeader(bytes: Buffer): DecodedHeader {
  return decodeBinaryHeaderAt(bytes, 0, bytes.length);
}
