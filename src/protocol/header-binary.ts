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

/**
 * Bytes the binary header of `cmd` takes. Validates what the layout cannot represent (a code or version outside int16,
 * a key longer than 32767 bytes) with a ProtocolError INVALID_HEADER_FIELD instead of truncating.
 */
export function binaryHeaderLength(cmd: BinaryHeaderFields): number {
  checkInt(cmd.code, -0x8000, 0x7fff, 'code');
  checkInt(cmd.version, -0x8000, 0x7fff, 'version');
  checkInt(cmd.language, 0, 0xff, 'language');
  checkInt(cmd.opaque, -0x80000000, 0xffffffff, 'opaque');
  checkInt(cmd.flag, -0x80000000, 0xffffffff, 'flag');
  let size = MIN_BINARY_HEADER_LENGTH;
  if (cmd.remark) size += Buffer.byteLength(cmd.remark, 'utf8');
  const ext = cmd.extFields;
  if (ext) {
    for (const key in ext) {
      if (!Object.hasOwn(ext, key)) continue;
      const value = ext[key];
      if (value === undefined || value === null) continue;
      const keyLength = Buffer.byteLength(key, 'utf8');
      if (keyLength > 0x7fff) {
        throw new ProtocolError('INVALID_HEADER_FIELD', `binary header cannot encode ext key of ${keyLength} bytes`);
      }
      size += 6 + keyLength + Buffer.byteLength(String(value), 'utf8');
    }
  }
  return size;
}

/**
 * Writes the binary header of `cmd` at `offset` of `target`, which must have `binaryHeaderLength(cmd)` bytes free there.
 * Returns the offset just past the header.
 */
export function writeBinaryHeader(cmd: BinaryHeaderFields, target: Buffer, offset: number): number {
  let pos = offset;
  target.writeInt16BE(cmd.code, pos);
  target[pos + 2] = cmd.language;
  target.writeInt16BE(cmd.version, pos + 3);
  target.writeInt32BE(cmd.opaque | 0, pos + 5);
  target.writeInt32BE(cmd.flag | 0, pos + 9);
  pos += 13;
  const remarkLength = cmd.remark ? target.write(cmd.remark, pos + 4, 'utf8') : 0;
  target.writeInt32BE(remarkLength, pos);
  pos += 4 + remarkLength;
  const extLengthAt = pos;
  pos += 4;
  const ext = cmd.extFields;
  if (ext) {
    for (const key in ext) {
      if (!Object.hasOwn(ext, key)) continue;
      const value = ext[key];
      if (value === undefined || value === null) continue;
      const keyLength = target.write(key, pos + 2, 'utf8');
      target.writeInt16BE(keyLength, pos);
      pos += 2 + keyLength;
      const valueLength = target.write(String(value), pos + 4, 'utf8');
      target.writeInt32BE(valueLength, pos);
      pos += 4 + valueLength;
    }
  }
  target.writeInt32BE(pos - extLengthAt - 4, extLengthAt);
  return pos;
}

/** The binary header of `cmd` as its own buffer (one allocation of the exact size). */
export function encodeBinaryHeader(cmd: BinaryHeaderFields): Buffer {
  const out = Buffer.allocUnsafe(binaryHeaderLength(cmd));
  writeBinaryHeader(cmd, out, 0);
  return out;
}

function malformed(message: string): ProtocolError {
  return new ProtocolError('HEADER_MALFORMED', `binary header: ${message}`);
}

/** UTF-8 text of bytes[start, end); rejects invalid UTF-8 (checked only when the lossy decode shows U+FFFD). */
function readUtf8(bytes: Buffer, start: number, end: number, field: string): string {
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
  const remark = remarkLength > 0 ? readUtf8(bytes, pos, pos + remarkLength, 'remark') : undefined;
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
    const key = readUtf8(bytes, keyStart, keyStart + keyLength, 'ext key');
    const value = readUtf8(bytes, valueStart, pos, 'ext value');
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
