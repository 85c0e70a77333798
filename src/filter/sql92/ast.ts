import type { SourcePosition } from './lexer.js';

/**
 * A number as RocketMQ's filter types it: `int` and `long` (Java Integer/Long, both held as bigint) come from integer
 * literals (int when the value fits in 32 bits), `double` from floating-point literals.
 */
export type SqlNumber = { type: 'int' | 'long'; value: bigint } | { type: 'double'; value: number };

/** A value during evaluation: null (missing property), boolean, string (every property value) or number. */
export type SqlValue = null | boolean | string | SqlNumber;

/** Comparison operators; `<>` is kept distinct so an AST prints back as written. */
export type ComparisonOp = '=' | '<>' | '>' | '>=' | '<' | '<=';

/** String-matching operators of RocketMQ 5.x (CONTAINS, STARTSWITH, ENDSWITH). */
export type StringMatchOp = 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH';

/** The parsed expression tree. Every node records where it starts in the source. */
export type Expr =
  | { kind: 'literal'; value: SqlValue; pos: SourcePosition }
  | { kind: 'property'; name: string; pos: SourcePosition }
  | { kind: 'negate'; operand: Expr; pos: SourcePosition }
  | { kind: 'not'; operand: Expr; pos: SourcePosition }
  /** A property used where a boolean is expected: true only when its value is a boolean true (never for strings). */
  | { kind: 'booleanCast'; operand: Expr; pos: SourcePosition }
  | { kind: 'and' | 'or'; left: Expr; right: Expr; pos: SourcePosition }
  | { kind: 'compare'; op: ComparisonOp; left: Expr; right: Expr; pos: SourcePosition }
  | { kind: 'isNull'; operand: Expr; negated: boolean; pos: SourcePosition }
  | { kind: 'between'; operand: Expr; low: Expr; high: Expr; negated: boolean; pos: SourcePosition }
  | { kind: 'in'; operand: Expr; values: readonly string[]; negated: boolean; pos: SourcePosition }
  | { kind: 'stringMatch'; op: StringMatchOp; operand: Expr; search: string; negated: boolean; pos: SourcePosition }
  | { kind: 'like'; operand: Expr; pattern: string; escape?: string; negated: boolean; pos: SourcePosition };

/** Node kinds whose result is a boolean (or null), i.e. Java's BooleanExpression. */
const BOOLEAN_KINDS: ReadonlySet<Expr['kind']> = new Set([
  'not',
  'booleanCast',
  'and',
  'or',
  'compare',
  'isNull',
  'between',
  'in',
  'stringMatch',
  'like',
]);

/** Whether a node yields a boolean: the boolean node kinds, and the TRUE, FALSE and NULL literals. */
export function isBooleanExpr(e: Expr): boolean {
  if (e.kind === 'literal') return e.value === null || typeof e.value === 'boolean';
  return BOOLEAN_KINDS.has(e.kind);
}
