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
import { isAscii, isUtf8 } from 'node:buffer';
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

/** Matches any char outside ASCII (in a latin1 view: any byte >= 0x80). */
const NON_ASCII = /[^\x00-\x7f]/;

/** `text` as a byte string: one char (0..255) per UTF-8 byte. ASCII text is its own byte string. */
function utf8ByteString(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

const int16Chars = (n: number): string => String.fromCharCode((n >>> 8) & 0xff, n & 0xff);
const int32Chars = (n: number): string =>
  String.fromCharCode((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

const NOT_ASCII = '\u0100'; // never a byte string: marks "redo with UTF-8 conversion"

/**
 * The ext area as a byte string. With `convert` false, strings are written as they are and NOT_ASCII is returned if
 * any of them turns out not to be ASCII; with `convert` true, each is turned into its UTF-8 byte string.
 */
function extAreaByteString(fields: Record<string, string>, convert: boolean): string {
  let ext = '';
  let strings = '';
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    if (value === undefined || value === null) continue; // Java skips null entries
    const keyBytes = convert ? utf8ByteString(key) : key;
    const valueBytes = convert ? utf8ByteString(String(value)) : String(value);
    if (keyBytes.length > 0x7fff) {
      throw new ProtocolError(
        'INVALID_HEADER_FIELD',
        `binary header cannot encode ext key of ${keyBytes.length} bytes`,
      );
    }
    ext += int16Chars(keyBytes.length) + keyBytes + int32Chars(valueBytes.length) + valueBytes;
    if (!convert) strings += keyBytes + valueBytes;
  }
  return !convert && NON_ASCII.test(strings) ? NOT_ASCII : ext;
}

/**
 * The binary header of `cmd` as a byte string (one char per byte, to be written with the 'latin1' encoding). Building
 * one string and writing it once is much faster than one Buffer write per field. Fields the layout cannot represent
 * (a code or version outside int16, a language outside a byte, a key longer than 32767 bytes) throw ProtocolError
 * INVALID_HEADER_FIELD instead of being truncated.
 */
export function binaryHeaderByteString(cmd: BinaryHeaderFields): string {
  checkInt(cmd.code, -0x8000, 0x7fff, 'code');
  checkInt(cmd.version, -0x8000, 0x7fff, 'version');
  checkInt(cmd.language, 0, 0xff, 'language');
  checkInt(cmd.opaque, -0x80000000, 0xffffffff, 'opaque');
  checkInt(cmd.flag, -0x80000000, 0xffffffff, 'flag');
  // Optimistic pass: strings taken as ASCII (byte length = length), checked once at the end, redone if wrong.
  const fields = cmd.extFields;
  let ext = fields ? extAreaByteString(fields, false) : '';
  if (ext === NOT_ASCII) ext = extAreaByteString(fields!, true);
  const remark = cmd.remark ? utf8ByteString(cmd.remark) : '';
  return (
    int16Chars(cmd.code) +
    String.fromCharCode(cmd.language) +
    int16Chars(cmd.version) +
    int32Chars(cmd.opaque) +
    int32Chars(cmd.flag) +
    int32Chars(remark.length) +
    remark +
    int32Chars(ext.length) +
    ext
  );
}

/** The binary header of `cmd` as bytes. See binaryHeaderByteString. */
export function encodeBinaryHeader(cmd: BinaryHeaderFields): Buffer {
  return Buffer.from(binaryHeaderByteString(cmd), 'latin1');
}

function malformed(message: string): ProtocolError {
  return new ProtocolError('HEADER_MALFORMED', `binary header: ${message}`);
}

/**
 * The text of bytes[start, end), given `latin1` = the latin1 view of the header from `base`. ASCII text is a cheap
 * slice of that view; anything else is decoded as UTF-8, and rejected when invalid.
 */
function readText(bytes: Buffer, latin1: string, base: number, start: number, end: number, field: string): string {
  const view = latin1.slice(start - base, end - base);
  if (!NON_ASCII.test(view)) return view;
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
  // usual case: every string is a plain slice, no per-string check
  const allAscii = isAscii(new Uint8Array(bytes.buffer, bytes.byteOffset + base, end - base));
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
