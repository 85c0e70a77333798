import { RocketMQError } from './errors.js';

/**
 * Configuration as RocketMQ users write it: Java `.properties` files (broker.conf, namesrv.conf) with the Java key
 * names, validated against a typed schema. Unknown keys are reported through `onUnknownKey` (servers warn); a bad
 * value fails with a RocketMQError CONFIG_INVALID that names the key.
 */

/** Parse Java properties text: `#`/`!` comments, `key=value`, `key:value` or `key value`, `\` line continuations
 * and the usual escapes (`\t`, `\n`, `\uXXXX`, `\=`…). Later keys win. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + (lines[++i] ?? '').replace(/^[ \t\f]+/, '');
    }
    if (endsWithContinuation(line)) line = line.slice(0, -1);
    const { key, value } = splitKeyValue(line);
    out.set(unescapeProperty(key), unescapeProperty(value));
  }
  return out;
}

function endsWithContinuation(line: string): boolean {
  let slashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) slashes++;
  return slashes % 2 === 1;
}

function splitKeyValue(line: string): { key: string; value: string } {
  let i = 0;
  for (; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
  }
  const key = line.slice(0, i);
  let rest = line.slice(i).replace(/^[ \t\f]+/, '');
  if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^[ \t\f]+/, '');
  return { key, value: rest };
}

function unescapeProperty(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.length === 5) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    switch (e) {
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 'f':
        return '\f';
      default:
        return e;
    }
  });
}

interface BaseSpec<T> {
  default: T;
  /** One line for `-p` output and docs. */
  doc: string;
}
export interface StringSpec extends BaseSpec<string> {
  type: 'string';
}
export interface IntSpec extends BaseSpec<number> {
  /** `int` is a 32-bit Java int; `long` any safe integer. */
  type: 'int' | 'long';
  min?: number;
  max?: number;
}
export interface RatioSpec extends BaseSpec<number> {
  /** A floating-point number (Java double), e.g. a disk ratio. */
  type: 'number';
  min?: number;
  max?: number;
}
export interface BoolSpec extends BaseSpec<boolean> {
  type: 'bool';
}
export interface EnumSpec<V extends string = string> extends BaseSpec<V> {
  type: 'enum';
  values: readonly V[];
}
export type FieldSpec = StringSpec | IntSpec | RatioSpec | BoolSpec | EnumSpec;
export type Schema = Record<string, FieldSpec>;

type ValueOf<F extends FieldSpec> =
  F extends EnumSpec<infer V> ? V : F extends BoolSpec ? boolean : F extends StringSpec ? string : number;
/** The typed configuration object a schema describes. */
export type ConfigOf<S extends Schema> = { -readonly [K in keyof S]: ValueOf<S[K]> };

/** Identity, for type inference: `const schema = defineSchema({ listenPort: { type: 'int', default: 9876, … } })`. */
export function defineSchema<const S extends Schema>(schema: S): S {
  return schema;
}

export interface ResolveOptions {
  /** Called for every key the schema does not know (servers log a warning). */
  onUnknownKey?: (key: string) => void;
  /** Where the values came from, for error messages (e.g. the config file path). */
  source?: string;
}

/**
 * Defaults overlaid with `input` (properties text parsed by parseProperties, or an object of typed values as
 * embedders and tests pass). Throws RocketMQError CONFIG_INVALID naming the first bad key.
 */
export function resolveConfig<S extends Schema>(
  schema: S,
  input: Map<string, string> | Record<string, unknown> = {},
  options: ResolveOptions = {},
): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) out[key] = spec.default;
  const entries = input instanceof Map ? [...input.entries()] : Object.entries(input);
  for (const [key, raw] of entries) {
    const spec = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (spec === undefined) {
      options.onUnknownKey?.(key);
      continue;
    }
    if (raw === undefined) continue;
    out[key] = coerce(key, spec, raw, options.source);
  }
  return out as ConfigOf<S>;
}

function coerce(key: string, spec: FieldSpec, raw: unknown, source: string | undefined): unknown {
  const fail = (why: string): never => {
    const where = source ? ` in ${source}` : '';
    throw new RocketMQError('CONFIG_INVALID', `invalid value for config key '${key}'${where}: ${why}`);
  };
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (spec.type) {
    case 'string':
      if (typeof text !== 'string') fail(`expected a string, got ${JSON.stringify(raw)}`);
      return text;
    case 'bool': {
      if (typeof text === 'boolean') return text;
      if (text === 'true' || text === 'false') return text === 'true';
      return fail(`expected true or false, got ${JSON.stringify(raw)}`);
    }
    case 'enum': {
      if (typeof text === 'string' && spec.values.includes(text)) return text;
      return fail(`expected one of ${spec.values.join(', ')}, got ${JSON.stringify(raw)}`);
    }
    case 'int':
    case 'long':
    case 'number': {
      const n = typeof text === 'number' ? text : typeof text === 'string' && text !== '' ? Number(text) : Number.NaN;
      if (!Number.isFinite(n)) return fail(`expected a number, got ${JSON.stringify(raw)}`);
      if (spec.type !== 'number' && !Number.isSafeInteger(n))
        return fail(`expected an integer, got ${JSON.stringify(raw)}`);
      if (spec.type === 'int' && (n < -2147483648 || n > 2147483647)) return fail(`${n} is outside the int range`);
      if (spec.min !== undefined && n < spec.min) return fail(`${n} is below the minimum ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) return fail(`${n} is above the maximum ${spec.max}`);
      return n;
    }
  }
}

/** The effective configuration as properties text (what `-p` prints), keys in schema order. */
export function formatConfig<S extends Schema>(schema: S, config: ConfigOf<S>): string {
  return `${Object.keys(schema)
    .map((key) => `${key}=${String(config[key as keyof S])}`)
    .join('\n')}\n`;
}
