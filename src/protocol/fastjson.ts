/**
 * JSON bodies as Java's fastjson 1.x writes and reads them (reference §4, §4.8).
 *
 * fastjson writes Map keys that are not Strings without quotes (`{0:"addr"}`) and object keys as raw JSON objects
 * (`{{"brokerName":"b","queueId":0,"topic":"t"}:{...}}`); its parser also takes single-quoted strings, unquoted field
 * names and stray commas. parseJson reads all of that; stringifyJson writes either fastjson's native form or standard
 * JSON.
 *
 * Precision: numbers become JS numbers, so integers beyond ±2^53 (Java longs near the extremes) lose precision.
 */
import { isUtf8 } from 'node:buffer';
import { ProtocolError } from '../common/errors.js';

/** Deepest nesting of arrays and objects parseJson accepts. */
export const MAX_JSON_DEPTH = 512;

function bodyError(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError('BODY_MALFORMED', message, cause === undefined ? undefined : { cause });
}

/** Sets a property, including a literal `__proto__` key, without touching the prototype. */
function setProperty(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Character codes the reader switches on. */
const Char = {
  Tab: 9,
  LineFeed: 10,
  FormFeed: 12,
  CarriageReturn: 13,
  Space: 32,
  DoubleQuote: 34,
  SingleQuote: 39,
  Comma: 44,
  Minus: 45,
  Slash: 47,
  Star: 42,
  Colon: 58,
  OpenBracket: 91,
  Backslash: 92,
  CloseBracket: 93,
  OpenBrace: 123,
  CloseBrace: 125,
} as const;

const NUMBER_TOKEN = /-?(?:\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?[LSBFD]?/y;
const UNQUOTED_KEY = /[^\s:,{}[\]"']+/y;

/** A recursive-descent reader over one text; depth is bounded by MAX_JSON_DEPTH, so no stack overflow. */
class TolerantJsonReader {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    const near = JSON.stringify(this.text.slice(this.pos, this.pos + 20));
    throw bodyError(`JSON body: ${what} at offset ${this.pos} (near ${near})`);
  }

  skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (
        c === Char.Space ||
        c === Char.LineFeed ||
        c === Char.CarriageReturn ||
        c === Char.Tab ||
        c === Char.FormFeed
      ) {
        pos++;
      } else if (c === Char.Slash && text.charCodeAt(pos + 1) === Char.Slash) {
        const end = text.indexOf('\n', pos);
        pos = end < 0 ? text.length : end + 1;
      } else if (c === Char.Slash && text.charCodeAt(pos + 1) === Char.Star) {
        const end = text.indexOf('*/', pos + 2);
        if (end < 0) {
          this.pos = pos;
          this.fail('unterminated comment');
        }
        pos = end + 2;
      } else {
        break;
      }
    }
    this.pos = pos;
  }

  readDocument(): unknown {
    this.skipWhitespace();
    const value = this.readValue(0);
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail('unexpected text after the value');
    return value;
  }

  readValue(depth: number): unknown {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case Char.OpenBrace:
        return this.readObject(depth + 1);
      case Char.OpenBracket:
        return this.readArray(depth + 1);
      case Char.DoubleQuote:
      case Char.SingleQuote:
        return this.readString(c);
      default:
        if (c === Char.Minus || (c >= 48 && c <= 57)) return this.readNumber();
        if (this.text.startsWith('true', this.pos)) return this.literal(4, true);
        if (this.text.startsWith('false', this.pos)) return this.literal(5, false);
        if (this.text.startsWith('null', this.pos)) return this.literal(4, null);
        return this.fail(Number.isNaN(c) ? 'unexpected end' : 'unexpected character');
    }
  }

  literal(length: number, value: unknown): unknown {
    this.pos += length;
    return value;
  }

  readNumber(): number {
    NUMBER_TOKEN.lastIndex = this.pos;
    const match = NUMBER_TOKEN.exec(this.text);
    if (!match) return this.fail('bad number');
    this.pos += match[0].length;
    const last = match[0].charCodeAt(match[0].length - 1);
    return Number(last >= 65 ? match[0].slice(0, -1) : match[0]); // drop a fastjson type suffix (1L, 1.5F)
  }

  readString(quote: number): string {
    const text = this.text;
    let pos = this.pos + 1;
    let out = '';
    let runStart = pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === quote) {
        out += text.slice(runStart, pos);
        this.pos = pos + 1;
        return out;
      }
      if (Number.isNaN(c)) {
        this.pos = pos;
        return this.fail('unterminated string');
      }
      if (c !== Char.Backslash) {
        pos++;
        continue;
      }
      out += text.slice(runStart, pos);
      const escapeChar = text.charAt(pos + 1);
      pos += 2;
      switch (escapeChar) {
        case '"':
        case "'":
        case '\\':
        case '/':
          out += escapeChar;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
        case 'x': {
          const digits = escapeChar === 'u' ? 4 : 2;
          const hex = text.slice(pos, pos + digits);
          if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex)) {
            this.pos = pos;
            return this.fail(`bad \\${escapeChar} escape`);
          }
          out += String.fromCharCode(Number.parseInt(hex, 16));
          pos += digits;
          break;
        }
        default:
          this.pos = pos - 2;
          return this.fail('bad escape');
      }
      runStart = pos;
    }
  }

  /** After a value inside a container: skips whitespace and any commas; true when one or more commas were seen. */
  skipCommas(): boolean {
    let sawComma = false;
    for (;;) {
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== Char.Comma) return sawComma;
      this.pos++;
      sawComma = true;
    }
  }

  readArray(depth: number): unknown[] {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.pos++;
    const items: unknown[] = [];
    this.skipCommas();
    for (;;) {
      if (this.text.charCodeAt(this.pos) === Char.CloseBracket) {
        this.pos++;
        return items;
      }
      items.push(this.readValue(depth));
      if (!this.skipCommas() && this.text.charCodeAt(this.pos) !== Char.CloseBracket) {
        this.fail("expected ',' or ']'");
      }
    }
  }

  readKey(depth: number): string {
    const c = this.text.charCodeAt(this.pos);
    if (c === Char.DoubleQuote || c === Char.SingleQuote) return this.readString(c);
    if (c === Char.OpenBrace || c === Char.OpenBracket) {
      // fastjson's object key (a MessageQueue): its canonical JSON text, keys sorted
      return stringifyJson(this.readValue(depth), { sortKeys: true });
    }
    UNQUOTED_KEY.lastIndex = this.pos;
    const match = UNQUOTED_KEY.exec(this.text);
    if (!match) return this.fail('expected a property name');
    this.pos += match[0].length;
    return match[0];
  }

  readObject(depth: number): Record<string, unknown> {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.pos++;
    const object: Record<string, unknown> = {};
    this.skipCommas();
    for (;;) {
      if (this.text.charCodeAt(this.pos) === Char.CloseBrace) {
        this.pos++;
        return object;
      }
      const key = this.readKey(depth);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== Char.Colon) this.fail("expected ':'");
      this.pos++;
      this.skipWhitespace();
      setProperty(object, key, this.readValue(depth));
      if (!this.skipCommas() && this.text.charCodeAt(this.pos) !== Char.CloseBrace) {
        this.fail("expected ',' or '}'");
      }
    }
  }
}

/** Texts this short cannot nest deeper than MAX_JSON_DEPTH, so V8's JSON.parse may take them first. */
const FAST_PATH_MAX_LENGTH = 2 * MAX_JSON_DEPTH;

/**
 * Parses a JSON body as fastjson would: standard JSON plus unquoted keys (`{0:"a"}`, `{name:1}`), single-quoted
 * strings, object keys (turned into their canonical JSON text with sorted keys), stray commas, comments and numeric
 * type suffixes (`1L`). A non-string key becomes a string key: its text as written for numbers and identifiers.
 * Integers beyond ±2^53 lose precision (JS numbers). Duplicate keys: last wins. Buffers must be UTF-8.
 * Throws ProtocolError BODY_MALFORMED on invalid UTF-8, unterminated or garbage input, or nesting deeper than 512.
 */
export function parseJson(input: string | Buffer): unknown {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    text = input.toString('utf8');
    if (text.includes('\uFFFD') && !isUtf8(input)) throw bodyError('JSON body is not valid UTF-8');
  }
  if (text.length <= FAST_PATH_MAX_LENGTH) {
    try {
      return JSON.parse(text);
    } catch {
      // not standard JSON: the tolerant reader below decides
    }
  }
  return new TolerantJsonReader(text).readDocument();
}

/** Options of stringifyJson. */
export interface StringifyJsonOptions {
  /**
   * fastjson's native Map form: number keys unquoted (`{0:"addr"}`), object keys as raw JSON objects. Default false:
   * standard JSON, where such keys are written as quoted strings (`{"0":"addr"}`).
   */
  fastjson?: boolean;
  /** Sort object properties and Map keys (fastjson's SortField/MapSortField; numbers numerically). Default true. */
  sortKeys?: boolean;
}

type MapEntry = [key: unknown, keyText: string, value: unknown];

function isNumberKey(key: unknown): key is number | bigint {
  return typeof key === 'number' || typeof key === 'bigint';
}

/** Map entries [key, key as written, value]: number keys by value, others by their written text. */
function compareMapEntries(a: MapEntry, b: MapEntry): number {
  const ka = a[0];
  const kb = b[0];
  if (isNumberKey(ka) && isNumberKey(kb)) return ka < kb ? -1 : ka > kb ? 1 : 0;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class JsonWriter {
  constructor(
    readonly fastjson: boolean,
    readonly sortKeys: boolean,
  ) {}

  value(value: unknown, depth: number): string | undefined {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'number':
        return Number.isFinite(value) ? String(value) : 'null';
      case 'bigint':
        return value.toString();
      case 'boolean':
        return value ? 'true' : 'false';
      case 'object':
        if (value === null) return 'null';
        if (depth > MAX_JSON_DEPTH) throw bodyError(`cannot write JSON nested deeper than ${MAX_JSON_DEPTH}`);
        if (Array.isArray(value)) return this.array(value, depth + 1);
        if (value instanceof Map) return this.map(value, depth + 1);
        if (value instanceof Set) return this.array([...value], depth + 1);
        if (value instanceof Date) return String(value.getTime()); // fastjson writes dates as epoch millis
        if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
          return this.value((value as { toJSON(): unknown }).toJSON(), depth + 1);
        }
        return this.object(value as Record<string, unknown>, depth + 1);
      default:
        return undefined; // undefined, functions, symbols: omitted
    }
  }

  array(items: readonly unknown[], depth: number): string {
    let out = '[';
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out += ',';
      out += this.value(items[i], depth) ?? 'null';
    }
    return `${out}]`;
  }

  object(object: Record<string, unknown>, depth: number): string {
    const keys = Object.keys(object);
    if (this.sortKeys) keys.sort(compareStrings);
    let out = '{';
    for (const key of keys) {
      const item = object[key];
      if (item === undefined || item === null) continue;
      const text = this.value(item, depth);
      if (text === undefined) continue;
      if (out.length > 1) out += ',';
      out += `${JSON.stringify(key)}:${text}`;
    }
    return `${out}}`;
  }

  /** A Map key as written: strings quoted; numbers and objects raw in fastjson mode, else as quoted text. */
  mapKey(key: unknown, depth: number): string {
    if (typeof key === 'string') return JSON.stringify(key);
    if (isNumberKey(key) || typeof key === 'boolean') {
      const text = typeof key === 'number' && !Number.isFinite(key) ? 'null' : String(key);
      return this.fastjson ? text : JSON.stringify(text);
    }
    const text = this.value(key, depth) ?? 'null';
    return this.fastjson ? text : JSON.stringify(text);
  }

  map(map: Map<unknown, unknown>, depth: number): string {
    const entries: MapEntry[] = [];
    for (const [key, item] of map) {
      if (item === undefined || item === null) continue;
      entries.push([key, this.mapKey(key, depth), item]);
    }
    if (this.sortKeys) entries.sort(compareMapEntries);
    let out = '{';
    for (const [, keyText, item] of entries) {
      const text = this.value(item, depth);
      if (text === undefined) continue;
      if (out.length > 1) out += ',';
      out += `${keyText}:${text}`;
    }
    return `${out}}`;
  }
}

/**
 * Writes `value` as JSON the way fastjson does: properties sorted (unless `sortKeys: false`), null and undefined
 * properties omitted, plain-object keys always quoted, Dates as epoch millis, bigints as integers. A Map is written as
 * an object; its number and object keys follow `options.fastjson` (see StringifyJsonOptions). Throws ProtocolError
 * BODY_MALFORMED for nesting deeper than 512 (including cycles).
 */
export function stringifyJson(value: unknown, options: StringifyJsonOptions = {}): string {
  const writer = new JsonWriter(options.fastjson ?? false, options.sortKeys ?? true);
  return writer.value(value, 0) ?? 'null';
}

/** stringifyJson as UTF-8 bytes, ready to be a command body. */
export function stringifyJsonBuffer(value: unknown, options: StringifyJsonOptions = {}): Buffer {
  return Buffer.from(stringifyJson(value, options), 'utf8');
}
