/**
 * A small typed mechanism for RocketMQ custom headers (reference §1.6): a header is a schema of named fields, each a
 * Java type (`string`, `int`, `long`, `bool`), and the codec built from it turns a typed object into the
 * `extFields` string map and back, with Java's parsing rules.
 */
import { ProtocolError } from '../../common/errors.js';

/** The Java type of one header field: String, Integer/int, Long/long, Boolean/boolean. */
export type FieldType = 'string' | 'int' | 'long' | 'bool';

/** One field of a header schema. `required` mirrors Java's `@CFNotNull`. */
export interface FieldSpec {
  readonly type: FieldType;
  readonly required?: boolean;
}

/** Field name (exactly as on the wire) → spec. */
export type HeaderSchema = Readonly<Record<string, FieldSpec>>;

/** The TS value type of a field type: numbers for int/long (long within the safe-integer range). */
export type FieldValue<T extends FieldType> = T extends 'string' ? string : T extends 'bool' ? boolean : number;

type RequiredKeys<S extends HeaderSchema> = {
  [K in keyof S]: S[K] extends { readonly required: true } ? K : never;
}[keyof S];
type OptionalKeys<S extends HeaderSchema> = Exclude<keyof S, RequiredKeys<S>>;

/** The typed header object described by schema `S`. */
export type HeaderFields<S extends HeaderSchema> = {
  -readonly [K in RequiredKeys<S>]: FieldValue<S[K]['type']>;
} & {
  -readonly [K in OptionalKeys<S>]?: FieldValue<S[K]['type']> | undefined;
} extends infer O
  ? { [K in keyof O]: O[K] }
  : never;

/** Encoder/decoder of one header type. */
export interface HeaderCodec<S extends HeaderSchema> {
  /** The Java class name, used in error messages. */
  readonly name: string;
  readonly schema: S;
  /** Field names in schema order. */
  readonly fieldNames: readonly string[];
  /** The extFields map for `header`; undefined (and null) values are skipped. */
  encode(header: HeaderFields<S>): Record<string, string>;
  /**
   * The typed header from `extFields`. Unknown ext fields are ignored. Throws ProtocolError MISSING_HEADER_FIELD for
   * a missing required field and INVALID_HEADER_FIELD for a value that does not parse; both messages name the field.
   */
  decode(ext: Record<string, string> | undefined): HeaderFields<S>;
}

/** The typed header of a codec: `type PullMessageRequestHeader = HeaderOf<typeof PullMessageRequestHeader>`. */
export type HeaderOf<C> = C extends HeaderCodec<infer S> ? HeaderFields<S> : never;

const KIND_STRING = 0;
const KIND_INT = 1;
const KIND_LONG = 2;
const KIND_BOOL = 3;

const KIND_OF: Readonly<Record<FieldType, number>> = {
  string: KIND_STRING,
  int: KIND_INT,
  long: KIND_LONG,
  bool: KIND_BOOL,
};

const INT_MAX = 2147483647;

/**
 * Parses a decimal integer the way Java's Integer.parseInt / Long.parseLong do (optional sign, ASCII digits, leading
 * zeros allowed, nothing else), within [-negLimit, posLimit]. Returns undefined when the text is not such a number.
 */
export function parseJavaInteger(text: string, posLimit: number, negLimit: number): number | undefined {
  const len = text.length;
  let i = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45) {
    negative = true;
    i = 1;
  } else if (first === 43) {
    i = 1;
  }
  if (i >= len) return undefined;
  const limit = negative ? negLimit : posLimit;
  let value = 0;
  for (; i < len; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
    if (value > limit) return undefined;
  }
  return negative ? (value === 0 ? 0 : -value) : value;
}

/** Java's Boolean.parseBoolean: true only for a case-insensitive "true". */
export function parseJavaBoolean(text: string): boolean {
  return text === 'true' || (text.length === 4 && text.toLowerCase() === 'true');
}

/** Decodes one field value; `kind` is one of the KIND_* constants. */
function decodeValue(headerName: string, field: string, kind: number, raw: string): string | number | boolean {
  switch (kind) {
    case KIND_STRING:
      return raw;
    case KIND_BOOL:
      return parseJavaBoolean(raw);
    case KIND_INT: {
      const v = parseJavaInteger(raw, INT_MAX, INT_MAX + 1);
      if (v === undefined) throw invalidField(headerName, field, 'an int', raw);
      return v;
    }
    default: {
      const v = parseJavaInteger(raw, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      if (v === undefined) throw invalidField(headerName, field, 'a long', raw);
      return v;
    }
  }
}

function invalidField(headerName: string, field: string, expected: string, raw: string): ProtocolError {
  const shown = raw.length > 64 ? `${raw.slice(0, 64)}…` : raw;
  return new ProtocolError('INVALID_HEADER_FIELD', `${headerName}: field ${field} is not ${expected}: "${shown}"`);
}

/** The error for a missing `@CFNotNull` field; the message names the field, as the Java server's remark does. */
export function missingField(headerName: string, field: string): ProtocolError {
  return new ProtocolError('MISSING_HEADER_FIELD', `the custom field <${field}> is null (${headerName})`);
}

/**
 * Reads one ext value as a string. The frame decoder already coerces numbers and booleans, but a hand-built map may
 * still hold them; null counts as absent.
 */
function rawValue(ext: Record<string, string>, field: string): string | undefined {
  const raw: unknown = ext[field];
  if (typeof raw === 'string') return raw;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return String(raw);
  return undefined;
}

/** Decodes an int/long/bool/string field of an ext map outside a schema, with the same rules and errors. */
export function decodeField(
  headerName: string,
  ext: Record<string, string> | undefined,
  field: string,
  type: FieldType,
): string | number | boolean | undefined {
  if (ext === undefined || ext === null) return undefined;
  const raw = rawValue(ext, field);
  return raw === undefined ? undefined : decodeValue(headerName, field, KIND_OF[type], raw);
}

/** Builds the codec of header class `name` from its schema. Pass the schema literal directly to keep field types. */
export function defineHeader<const S extends HeaderSchema>(name: string, schema: S): HeaderCodec<S> {
  const fieldNames = Object.keys(schema);
  const count = fieldNames.length;
  const kinds = new Uint8Array(count);
  const required: boolean[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const spec = schema[fieldNames[i]!]!;
    kinds[i] = KIND_OF[spec.type];
    required[i] = spec.required === true;
  }
  return {
    name,
    schema,
    fieldNames,
    encode(header: HeaderFields<S>): Record<string, string> {
      const values = header as Record<string, unknown>;
      const out: Record<string, string> = {};
      for (let i = 0; i < count; i++) {
        const field = fieldNames[i]!;
        const v = values[field];
        if (v === undefined || v === null) continue;
        out[field] = typeof v === 'string' ? v : String(v);
      }
      return out;
    },
    decode(ext: Record<string, string> | undefined): HeaderFields<S> {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) {
        const field = fieldNames[i]!;
        const raw = ext === undefined || ext === null ? undefined : rawValue(ext, field);
        if (raw === undefined) {
          if (required[i]) throw missingField(name, field);
          continue;
        }
        out[field] = decodeValue(name, field, kinds[i]!, raw);
      }
      return out as HeaderFields<S>;
    },
  };
}

/** Optional 5.x `RpcRequestHeader` fields (reference §1.6): namespace, namespaced flag, broker name, oneway. */
export const RPC_FIELDS = {
  ns: { type: 'string' },
  nsd: { type: 'bool' },
  bname: { type: 'string' },
  oway: { type: 'bool' },
} as const satisfies HeaderSchema;

/** Optional 5.x `TopicRequestHeader` fields: the RPC fields plus `lo` (logical static-topic flag). */
export const TOPIC_RPC_FIELDS = { ...RPC_FIELDS, lo: { type: 'bool' } } as const satisfies HeaderSchema;

/**
 * Direct field readers for hand-written hot-path decoders (send V2). `field` is the wire name; errors are the same
 * as a schema decode's.
 */
export function readString(headerName: string, ext: Record<string, string>, field: string, required: boolean) {
  const raw = rawValue(ext, field);
  if (raw === undefined && required) throw missingField(headerName, field);
  return raw;
}

/** An int field (Integer.parseInt rules); see readString. */
export function readInt(headerName: string, ext: Record<string, string>, field: string, required: boolean) {
  const raw = rawValue(ext, field);
  if (raw === undefined) {
    if (required) throw missingField(headerName, field);
    return undefined;
  }
  const v = parseJavaInteger(raw, INT_MAX, INT_MAX + 1);
  if (v === undefined) throw invalidField(headerName, field, 'an int', raw);
  return v;
}

/** A long field (Long.parseLong rules, safe-integer range); see readString. */
export function readLong(headerName: string, ext: Record<string, string>, field: string, required: boolean) {
  const raw = rawValue(ext, field);
  if (raw === undefined) {
    if (required) throw missingField(headerName, field);
    return undefined;
  }
  const v = parseJavaInteger(raw, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (v === undefined) throw invalidField(headerName, field, 'a long', raw);
  return v;
}

/** An optional bool field (Boolean.parseBoolean rules); undefined when absent. */
export function readBool(ext: Record<string, string>, field: string): boolean | undefined {
  const raw = rawValue(ext, field);
  return raw === undefined ? undefined : parseJavaBoolean(raw);
}
