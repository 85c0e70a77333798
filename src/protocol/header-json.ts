/**
 * The JSON header (serialize type 0, reference §1.3): the RemotingCommand bean as fastjson 1.x writes it, properties
 * in alphabetical order, null properties omitted, the language as its enum name.
 */
import { isUtf8 } from 'node:buffer';
import { ProtocolError } from '../common/errors.js';
import { LANGUAGE_NAMES, LanguageCode, type RemotingCommand } from './command.js';
import { parseJson } from './fastjson.js';
import type { DecodedHeader } from './header-binary.js';

type JsonHeaderFields = Pick<
  RemotingCommand,
  'code' | 'language' | 'version' | 'opaque' | 'flag' | 'remark' | 'extFields'
>;

/** An int field's JSON text; a value that is not an integer is refused rather than written as garbage. */
function jsonInt(value: number, field: string): string {
  if (!Number.isInteger(value)) {
    throw new ProtocolError('INVALID_HEADER_FIELD', `JSON header cannot encode ${field}=${String(value)}`);
  }
  return String(value);
}

/**
 * The JSON header text of `cmd`. extFields are written in their insertion order (Java writes its HashMap order, which
 * no reader depends on); extFields entries that are undefined are omitted.
 */
export function jsonHeaderText(cmd: JsonHeaderFields): string {
  let text = `{"code":${jsonInt(cmd.code, 'code')}`;
  if (cmd.extFields) text += `,"extFields":${JSON.stringify(cmd.extFields)}`;
  const languageName = LANGUAGE_NAMES[cmd.language];
  text += `,"flag":${jsonInt(cmd.flag, 'flag')},"language":${languageName ? `"${languageName}"` : jsonInt(cmd.language, 'language')}`;
  text += `,"opaque":${jsonInt(cmd.opaque, 'opaque')}`;
  if (cmd.remark !== undefined && cmd.remark !== null) text += `,"remark":${JSON.stringify(cmd.remark)}`;
  return `${text},"serializeTypeCurrentRPC":"JSON","version":${jsonInt(cmd.version, 'version')}}`;
}

/** The JSON header of `cmd` as UTF-8 bytes. */
export function encodeJsonHeader(cmd: JsonHeaderFields): Buffer {
  return Buffer.from(jsonHeaderText(cmd), 'utf8');
}

function malformed(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError('HEADER_MALFORMED', `JSON header: ${message}`, { cause });
}

function parseTolerant(text: string): unknown {
  try {
    return parseJson(text);
  } catch (err) {
    throw malformed('not valid JSON', err);
  }
}

const INTEGER_TEXT = /^-?\d{1,10}$/;

/** An int32 property: a JSON integer, or (as fastjson allows) a string holding one; missing means `fallback`. */
function intProperty(header: Record<string, unknown>, name: string, fallback: number): number {
  const value = header[name];
  if (value === undefined || value === null) return fallback;
  const number = typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < -0x80000000 || number > 0x7fffffff) {
    throw malformed(`${name} is not an int32: ${JSON.stringify(value)}`);
  }
  return number;
}

/** The language ordinal: by name (unknown names become OTHER), by ordinal number, JAVA when missing. */
function languageProperty(value: unknown): number {
  if (value === undefined || value === null) return LanguageCode.JAVA;
  if (typeof value === 'string') {
    if (Object.hasOwn(LanguageCode, value)) return LanguageCode[value as keyof typeof LanguageCode];
    if (INTEGER_TEXT.test(value)) return languageProperty(Number(value));
    return LanguageCode.OTHER;
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xff) return value;
  throw malformed(`language is neither a name nor an ordinal: ${JSON.stringify(value)}`);
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** extFields as strings: numbers and booleans (sent by pure-JS clients) become their text, nulls are dropped. */
function extFieldsProperty(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw malformed('extFields is not an object');
  const source = value as Record<string, unknown>;
  let allStrings = true;
  for (const key in source) {
    if (typeof source[key] !== 'string') {
      allStrings = false;
      break;
    }
  }
  if (allStrings) return source as Record<string, string>; // the common case: JSON.parse already built it
  const ext: Record<string, string> = {};
  for (const key of Object.keys(source)) {
    const field = source[key];
    if (field === null || field === undefined) continue;
    Object.defineProperty(ext, key, { value: textOf(field), enumerable: true, writable: true, configurable: true });
  }
  return ext;
}

/**
 * Decodes a JSON header. Tolerant as fastjson is: unknown properties are ignored, missing ones defaulted (flag 0,
 * version 0, language JAVA), integers may arrive as strings, extFields values may be numbers or booleans; text that
 * JSON.parse refuses gets a second chance with fastjson's syntax (parseJson: single quotes, unquoted names). Throws
 * ProtocolError HEADER_MALFORMED on invalid UTF-8, bad JSON, a non-object, or a non-integer code/opaque/flag/version.
 */
export function decodeJsonHeaderAt(bytes: Buffer, start: number, end: number): DecodedHeader {
  const text = bytes.toString('utf8', start, end);
  if (text.includes('\uFFFD') && !isUtf8(bytes.subarray(start, end))) throw malformed('not valid UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = parseTolerant(text); // fastjson reads single quotes, unquoted names...: so do we, off the fast path
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed('not a JSON object');
  const header = parsed as Record<string, unknown>;
  if (header.code === undefined || header.code === null) throw malformed('no code');
  const remark = header.remark;
  return {
    code: intProperty(header, 'code', 0),
    language: languageProperty(header.language),
    version: intProperty(header, 'version', 0),
    opaque: intProperty(header, 'opaque', 0),
    flag: intProperty(header, 'flag', 0),
    remark: remark === undefined || remark === null ? undefined : textOf(remark),
    extFields: extFieldsProperty(header.extFields),
  };
}

/** Decodes a whole buffer as one JSON header. See decodeJsonHeaderAt. */
export function decodeJsonHeader(bytes: Buffer): DecodedHeader {
  return decodeJsonHeaderAt(bytes, 0, bytes.length);
}
