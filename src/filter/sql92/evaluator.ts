import type { Expr, SqlValue } from './ast.js';
import { compareNumericStrings, compareValues, FilterEvaluationError, sameValue } from './values.js';

/** Message properties as the evaluator sees them: every value is a string; a missing name is SQL NULL. */
export type PropertySource = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

function lookup(props: PropertySource, name: string): string | null {
  if (props instanceof Map) return props.get(name) ?? null;
  const record = props as Readonly<Record<string, string>>;
  return Object.hasOwn(record, name) ? (record[name] ?? null) : null;
}

/**
 * Evaluates an expression with RocketMQ's three-valued logic: a missing property is null, comparisons with null
 * are null (unknown), NOT null is null, AND/OR follow SQL (false AND null = false, true OR null = true). Throws
 * {@link FilterEvaluationError} when a comparison needs a conversion that fails (e.g. `a > 3` with a = 'x').
 */
export function evaluate(expr: Expr, props: PropertySource): SqlValue {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'property':
      return lookup(props, expr.name);
    case 'negate':
      return negate(evaluate(expr.operand, props));
    case 'not': {
      const v = evaluate(expr.operand, props);
      return v === null ? null : !asBoolean(v);
    }
    case 'booleanCast': {
      const v = evaluate(expr.operand, props);
      return v === null ? null : v === true;
    }
    case 'and': {
      const l = evaluate(expr.left, props);
      if (l === false) return false;
      const r = evaluate(expr.right, props);
      if (r === false) return false;
      return l === null || r === null ? null : true;
    }
    case 'or': {
      const l = evaluate(expr.left, props);
      if (l === true) return true;
      const r = evaluate(expr.right, props);
      if (r === true) return true;
      return l === null || r === null ? null : false;
    }
    case 'compare':
      return compare(expr.op, evaluate(expr.left, props), evaluate(expr.right, props));
    case 'isNull': {
      const isNull = evaluate(expr.operand, props) === null;
      return expr.negated ? !isNull : isNull;
    }
    case 'between': {
      // Java builds BETWEEN as (v >= low AND v <= high) and NOT BETWEEN as (v < low OR v > high).
      const v = evaluate(expr.operand, props);
      const low = evaluate(expr.low, props);
      const first = compare(expr.negated ? '<' : '>=', v, low);
      if (expr.negated ? first === true : first === false) return first;
      const second = compare(expr.negated ? '>' : '<=', v, evaluate(expr.high, props));
      if (expr.negated ? second === true : second === false) return second;
      return first === null || second === null ? null : !expr.negated;
    }
    case 'in': {
      const v = evaluate(expr.operand, props);
      if (typeof v !== 'string') return null;
      return expr.values.includes(v) !== expr.negated;
    }
    case 'stringMatch': {
      // RocketMQ answers false (not null) for a missing or non-string value and for an empty search string.
      const v = evaluate(expr.operand, props);
      if (expr.search === '' || typeof v !== 'string') return false;
      const found =
        expr.op === 'CONTAINS'
          ? v.includes(expr.search)
          : expr.op === 'STARTSWITH'
            ? v.startsWith(expr.search)
            : v.endsWith(expr.search);
      return found !== expr.negated;
    }
    case 'like': {
      const v = evaluate(expr.operand, props);
      if (v === null) return null;
      const found = typeof v === 'string' && likeRegExp(expr.pattern, expr.escape).test(v);
      return found !== expr.negated;
    }
  }
}

/** True only when the expression evaluates to true; null (unknown) and evaluation failures are no match. */
export function matches(expr: Expr, props: PropertySource): boolean {
  try {
    return evaluate(expr, props) === true;
  } catch (err) {
    if (err instanceof FilterEvaluationError) return false;
    throw err;
  }
}

function asBoolean(v: Exclude<SqlValue, null>): boolean {
  if (typeof v !== 'boolean') throw new FilterEvaluationError('NOT applied to a non-boolean value');
  return v;
}

function negate(v: SqlValue): SqlValue {
  if (v === null || typeof v !== 'object') return null;
  if (v.type === 'double') return { type: 'double', value: -v.value };
  return { type: v.type, value: BigInt.asIntN(v.type === 'int' ? 32 : 64, -v.value) };
}

function compare(op: Extract<Expr, { kind: 'compare' }>['op'], l: SqlValue, r: SqlValue): boolean | null {
  if (op === '=' || op === '<>') {
    // Java: one side null → null if it is the left one, false otherwise; both null → equal.
    let equal: boolean | null;
    if (l === null || r === null) equal = l === null && r === null ? true : l === null ? null : false;
    else equal = sameValue(l, r) || compareValues(l, r) === 0;
    return equal === null ? null : op === '=' ? equal : !equal;
  }
  if (l === null || r === null) return null;
  const c = typeof l === 'string' && typeof r === 'string' ? compareNumericStrings(l, r) : compareValues(l, r);
  switch (op) {
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case '<':
      return c < 0;
    default:
      return c <= 0;
  }
}

const likeCache = new Map<string, RegExp>();

/** JMS LIKE: `%` any run of characters, `_` exactly one, the escape character makes the next one literal. */
function likeRegExp(pattern: string, escapeChar: string | undefined): RegExp {
  const key = `${escapeChar ?? ''}\u0000${pattern}`;
  let re = likeCache.get(key);
  if (re) return re;
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (escapeChar !== undefined && c === escapeChar && i + 1 < pattern.length) {
      src += escapeRegExp(pattern.charAt(++i));
    } else if (c === '%') {
      src += '[\\s\\S]*';
    } else if (c === '_') {
      src += '[\\s\\S]';
    } else {
      src += escapeRegExp(c);
    }
  }
  re = new RegExp(`^${src}$`);
  if (likeCache.size >= 1000) likeCache.clear();
  likeCache.set(key, re);
  return re;
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}
