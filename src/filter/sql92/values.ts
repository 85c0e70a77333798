import type { SqlNumber, SqlValue } from './ast.js';

/**
 * Raised while evaluating when a value cannot be converted for a comparison (a property `'abc'` compared with a
 * number, two non-numeric strings ordered with `<`). RocketMQ then treats the message as not matching; so does
 * {@link matches}. Never escapes the filter module's public matching functions.
 */
export class FilterEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterEvaluationError';
  }
}

const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** An integer value typed like Java's literal rule: int when it fits in 32 bits, else long. */
export function integerValue(value: bigint): SqlNumber {
  return { type: value >= INT_MIN && value <= INT_MAX ? 'int' : 'long', value };
}

/** Whether a bigint fits Java's long. */
export function fitsLong(value: bigint): boolean {
  return value >= LONG_MIN && value <= LONG_MAX;
}

/** Java Integer.valueOf / Long.valueOf of a string: optional sign, decimal digits, in range; else an error. */
function parseJavaInteger(s: string, type: 'int' | 'long'): SqlNumber {
  if (!/^[+-]?\d+$/.test(s)) throw new FilterEvaluationError(`'${s}' is not an integer`);
  const value = BigInt(s);
  const ok = type === 'int' ? value >= INT_MIN && value <= INT_MAX : fitsLong(value);
  if (!ok) throw new FilterEvaluationError(`'${s}' is out of the ${type} range`);
  return { type, value };
}

/** Java Double.valueOf of a string (decimal forms, NaN, Infinity, surrounding whitespace, a d/f suffix). */
export function parseJavaDouble(s: string): number {
  const m = /^([+-]?)(?:(NaN|Infinity)|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fFdD]?)$/.exec(s.trim());
  if (!m) throw new FilterEvaluationError(`'${s}' is not a number`);
  return Number((m[1] ?? '') + (m[2] ?? m[3] ?? ''));
}

/** Java Boolean.valueOf of a string: true exactly for "true" in any case. */
function parseJavaBoolean(s: string): boolean {
  return s.length === 4 && s.toLowerCase() === 'true';
}

/** Java Double.compare: -0 before +0, NaN equal to itself and after everything. */
function compareDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  if (a === 0 && b === 0) return Object.is(a, b) ? 0 : Object.is(a, -0) ? -1 : 1;
  return 0;
}

const toDouble = (n: SqlNumber): number => (n.type === 'double' ? n.value : Number(n.value));

function compareNumbers(a: SqlNumber, b: SqlNumber): number {
  if (a.type !== 'double' && b.type !== 'double') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  return compareDoubles(toDouble(a), toDouble(b));
}

/** Converts a string to the type of the other operand the way RocketMQ does (Integer/Long/Double/Boolean.valueOf). */
function convertString(s: string, like: SqlNumber | boolean): SqlNumber | boolean {
  if (typeof like === 'boolean') return parseJavaBoolean(s);
  if (like.type === 'double') return { type: 'double', value: parseJavaDouble(s) };
  return parseJavaInteger(s, like.type);
}

/**
 * Orders two non-null values with RocketMQ's conversion rules (its `__compare` with string conversion on): numbers
 * widen (int → long → double); a string next to a number or boolean is converted to that type (a failed conversion
 * throws {@link FilterEvaluationError}); a boolean next to a number is "less" (-1), as in Java. Strings compare by
 * UTF-16 code units, booleans false < true.
 */
export function compareValues(left: Exclude<SqlValue, null>, right: Exclude<SqlValue, null>): number {
  let l = left;
  let r = right;
  if (typeof l === 'string' && typeof r !== 'string') l = convertString(l, r);
  else if (typeof r === 'string' && typeof l !== 'string') r = convertString(r, l);
  if (typeof l === 'string' && typeof r === 'string') return l < r ? -1 : l > r ? 1 : 0;
  if (typeof l === 'boolean' && typeof r === 'boolean') return l === r ? 0 : l ? 1 : -1;
  if (typeof l === 'object' && typeof r === 'object') return compareNumbers(l, r);
  return -1;
}

/** Java's equals on our values: same type and same value (NaN equals NaN for doubles). */
export function sameValue(left: Exclude<SqlValue, null>, right: Exclude<SqlValue, null>): boolean {
  if (typeof left !== 'object' || typeof right !== 'object') return left === right;
  if (left.type !== right.type) return false;
  return left.type === 'double' ? Object.is(left.value, right.value) : left.value === right.value;
}

/** Orders two strings for `<`, `>` …: both must read as doubles (Double.valueOf), else the comparison fails. */
export function compareNumericStrings(left: string, right: string): number {
  return compareDoubles(parseJavaDouble(left), parseJavaDouble(right));
}
