import type { ComparisonOp, Expr, StringMatchOp } from './ast.js';
import { isBooleanExpr } from './ast.js';
import { type SourcePosition, syntaxError, type Token, type TokenKind, tokenize } from './lexer.js';
import { compareValues, FilterEvaluationError, fitsLong, integerValue } from './values.js';

/**
 * Deepest expression tree (and deepest nesting of parentheses / prefix operators) accepted. Keeps the recursive
 * parser and evaluator far from the stack limit whatever the input; real filters are a few levels deep.
 */
export const MAX_EXPRESSION_DEPTH = 200;

const ORDERING_OPS: ReadonlySet<TokenKind> = new Set(['>', '>=', '<', '<=']);
const STRING_MATCH_OPS: ReadonlySet<TokenKind> = new Set(['CONTAINS', 'STARTSWITH', 'ENDSWITH']);

/**
 * Parses a RocketMQ SQL92 filter expression (the grammar of RocketMQ's SelectorParser, plus [NOT] LIKE … [ESCAPE …])
 * into an expression tree whose result is boolean. Precedence, loosest first: OR; AND; `=`, `<>`, IS [NOT] NULL;
 * `>`, `>=`, `<`, `<=`, [NOT] BETWEEN, [NOT] IN, [NOT] CONTAINS/STARTSWITH/ENDSWITH/LIKE; unary `+`, `-`, NOT.
 * Throws RocketMQError SUBSCRIPTION_PARSE_FAILED naming the line, column and offset and what was expected.
 */
export function parseSql92(source: string): Expr {
  return new Parser(source).parseSelector();
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;
  private nesting = 0;
  private readonly depths = new WeakMap<Expr, number>();

  constructor(source: string) {
    this.tokens = tokenize(source);
  }

  parseSelector(): Expr {
    const expr = this.orExpression();
    this.expect('EOF', 'end of input (an operator such as AND, OR or =)');
    return this.asBoolean(expr);
  }

  private orExpression(): Expr {
    let left = this.andExpression();
    while (this.peek().kind === 'OR') {
      const pos = this.next().pos;
      const right = this.andExpression();
      left = this.node({ kind: 'or', left: this.asBoolean(left), right: this.asBoolean(right), pos }, left, right);
    }
    return left;
  }

  private andExpression(): Expr {
    let left = this.equalityExpression();
    while (this.peek().kind === 'AND') {
      const pos = this.next().pos;
      const right = this.equalityExpression();
      left = this.node({ kind: 'and', left: this.asBoolean(left), right: this.asBoolean(right), pos }, left, right);
    }
    return left;
  }

  private equalityExpression(): Expr {
    let left = this.comparisonExpression();
    for (;;) {
      const t = this.peek();
      if (t.kind === '=' || t.kind === '<>') {
        this.next();
        const right = this.comparisonExpression();
        this.checkEqualityOperands(left, right, t);
        left = this.node({ kind: 'compare', op: t.kind, left, right, pos: t.pos }, left, right);
      } else if (t.kind === 'IS') {
        this.next();
        const negated = this.peek().kind === 'NOT';
        if (negated) this.next();
        this.expect('NULL', negated ? 'NULL after IS NOT' : 'NULL or NOT NULL after IS');
        left = this.node({ kind: 'isNull', operand: left, negated, pos: t.pos }, left);
      } else {
        return left;
      }
    }
  }

  private comparisonExpression(): Expr {
    let left = this.unaryExpression();
    for (;;) {
      const t = this.peek();
      const negated = t.kind === 'NOT' && this.isNegatableOperator(this.peek(1));
      const op = negated ? this.peek(1) : t;
      if (ORDERING_OPS.has(op.kind) && !negated) {
        this.next();
        const right = this.unaryExpression();
        this.checkOrderingOperand(left, op);
        this.checkOrderingOperand(right, op);
        left = this.node({ kind: 'compare', op: op.kind as ComparisonOp, left, right, pos: op.pos }, left, right);
        continue;
      }
      if (!negated && !this.isNegatableOperator(op)) return left;
      if (negated) this.next();
      this.next();
      if (op.kind === 'BETWEEN') {
        const low = this.unaryExpression();
        this.expect('AND', 'AND between the BETWEEN bounds');
        const high = this.unaryExpression();
        for (const e of [left, low, high]) this.checkOrderingOperand(e, op);
        if (!negated) this.checkBetweenBounds(low, high, op.pos);
        left = this.node({ kind: 'between', operand: left, low, high, negated, pos: op.pos }, left, low, high);
      } else if (op.kind === 'IN') {
        if (left.kind !== 'property') {
          throw syntaxError(left.pos, `IN needs a property on its left, found ${describeExpr(left)}`);
        }
        const values = this.stringList();
        left = this.node({ kind: 'in', operand: left, values, negated, pos: op.pos }, left);
      } else if (STRING_MATCH_OPS.has(op.kind)) {
        const search = this.stringLiteral(`a string literal after ${op.kind}`);
        left = this.node(
          { kind: 'stringMatch', op: op.kind as StringMatchOp, operand: left, search, negated, pos: op.pos },
          left,
        );
      } else {
        // LIKE (a contextual keyword): pattern string, optional ESCAPE 'c'.
        const pattern = this.stringLiteral('a pattern string after LIKE');
        let escapeChar: string | undefined;
        if (this.isWord(this.peek(), 'ESCAPE') && this.peek(1).kind === 'STRING') {
          this.next();
          const escTok = this.peek();
          escapeChar = this.stringLiteral('an escape character');
          if (escapeChar.length !== 1) throw syntaxError(escTok.pos, 'expected a single escape character after ESCAPE');
        }
        left = this.node({ kind: 'like', operand: left, pattern, escape: escapeChar, negated, pos: op.pos }, left);
      }
    }
  }

  private unaryExpression(): Expr {
    const t = this.peek();
    if (t.kind === '+' || t.kind === '-' || t.kind === 'NOT') {
      this.next();
      this.enter(t.pos);
      const operand = this.unaryExpression();
      this.nesting--;
      if (t.kind === '+') return operand;
      if (t.kind === '-') return this.node({ kind: 'negate', operand, pos: t.pos }, operand);
      return this.node({ kind: 'not', operand: this.asBoolean(operand), pos: t.pos }, operand);
    }
    return this.primaryExpression();
  }

  private primaryExpression(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'STRING':
        return { kind: 'literal', value: t.value ?? '', pos: t.pos };
      case 'INTEGER':
        return { kind: 'literal', value: this.integerLiteral(t), pos: t.pos };
      case 'FLOAT': {
        const value = Number(t.text);
        if (!Number.isFinite(value)) throw syntaxError(t.pos, `number ${t.text} is out of the double range`);
        return { kind: 'literal', value: { type: 'double', value }, pos: t.pos };
      }
      case 'TRUE':
      case 'FALSE':
        return { kind: 'literal', value: t.kind === 'TRUE', pos: t.pos };
      case 'NULL':
        return { kind: 'literal', value: null, pos: t.pos };
      case 'ID':
        return { kind: 'property', name: t.text, pos: t.pos };
      case '(': {
        this.enter(t.pos);
        const inner = this.orExpression();
        this.nesting--;
        this.expect(')', 'a closing parenthesis');
        return inner;
      }
      default:
        throw syntaxError(t.pos, `expected a value, a property name or '(', found ${describeToken(t)}`);
    }
  }

  private integerLiteral(t: Token): ReturnType<typeof integerValue> {
    const digits = t.text.endsWith('l') || t.text.endsWith('L') ? t.text.slice(0, -1) : t.text;
    const value = BigInt(digits);
    if (!fitsLong(value)) throw syntaxError(t.pos, `integer ${t.text} is out of the long range`);
    return integerValue(value);
  }

  /** `( 'a', 'b', … )` after IN. */
  private stringList(): string[] {
    this.expect('(', "'(' after IN");
    const values = [this.stringLiteral('a string literal in the IN list')];
    while (this.peek().kind === ',') {
      this.next();
      values.push(this.stringLiteral('a string literal after ,'));
    }
    this.expect(')', "',' or ')' in the IN list");
    return values;
  }

  private stringLiteral(expected: string): string {
    const t = this.expect('STRING', expected);
    return t.value ?? '';
  }

  /** Operators that may follow NOT in operator position. */
  private isNegatableOperator(t: Token): boolean {
    return t.kind === 'BETWEEN' || t.kind === 'IN' || STRING_MATCH_OPS.has(t.kind) || this.isWord(t, 'LIKE');
  }

  private isWord(t: Token, word: string): boolean {
    return t.kind === 'ID' && t.text.toUpperCase() === word;
  }

  /** Java's asBooleanExpression: boolean nodes pass, a property is cast, anything else is an error. */
  private asBoolean(e: Expr): Expr {
    if (isBooleanExpr(e)) return e;
    if (e.kind === 'property') return this.node({ kind: 'booleanCast', operand: e, pos: e.pos }, e);
    throw syntaxError(e.pos, `expected a boolean expression, found ${describeExpr(e)}`);
  }

  /** Only numbers and non-boolean expressions can be ordered (Java's checkLessThanOperand). */
  private checkOrderingOperand(e: Expr, op: Token): void {
    const bad = e.kind === 'literal' ? e.value === null || typeof e.value !== 'object' : isBooleanExpr(e);
    if (bad) throw syntaxError(e.pos, `${describeExpr(e)} cannot be compared with ${op.kind}, expected a number`);
  }

  /** NULL is not comparable with = or <> (use IS NULL); a boolean literal only equals a boolean literal. */
  private checkEqualityOperands(left: Expr, right: Expr, op: Token): void {
    for (const e of [left, right]) {
      if (e.kind === 'literal' && e.value === null) {
        throw syntaxError(e.pos, `NULL cannot be compared with ${op.kind}, use IS NULL or IS NOT NULL`);
      }
    }
    if (left.kind === 'literal' && right.kind === 'literal') {
      if (typeof left.value === 'boolean' && typeof right.value !== 'boolean') {
        throw syntaxError(right.pos, `${describeExpr(left)} cannot be compared with ${describeExpr(right)}`);
      }
    }
  }

  /** Literal BETWEEN bounds must be ordered low ≤ high (Java rejects the expression otherwise). */
  private checkBetweenBounds(low: Expr, high: Expr, pos: SourcePosition): void {
    if (low.kind !== 'literal' || high.kind !== 'literal' || low.value === null || high.value === null) return;
    let ordered = true;
    try {
      ordered = compareValues(high.value, low.value) >= 0;
    } catch (err) {
      if (!(err instanceof FilterEvaluationError)) throw err;
    }
    if (!ordered) {
      throw syntaxError(
        pos,
        `BETWEEN bounds out of order: ${describeExpr(low)} must be less than or equal to ${describeExpr(high)}`,
      );
    }
  }

  /** Records a node's tree depth and rejects trees deeper than {@link MAX_EXPRESSION_DEPTH}. */
  private node<T extends Expr>(e: T, ...children: Expr[]): T {
    let depth = 1;
    for (const c of children) depth = Math.max(depth, (this.depths.get(c) ?? 1) + 1);
    if (depth > MAX_EXPRESSION_DEPTH) {
      throw syntaxError(e.pos, `expression nested deeper than ${MAX_EXPRESSION_DEPTH} levels`);
    }
    this.depths.set(e, depth);
    return e;
  }

  private enter(pos: SourcePosition): void {
    if (++this.nesting > MAX_EXPRESSION_DEPTH) {
      throw syntaxError(pos, `expression nested deeper than ${MAX_EXPRESSION_DEPTH} levels`);
    }
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return t;
  }

  private expect(kind: TokenKind, expected: string): Token {
    const t = this.peek();
    if (t.kind !== kind) throw syntaxError(t.pos, `expected ${expected}, found ${describeToken(t)}`);
    return this.next();
  }
}

function describeToken(t: Token): string {
  if (t.kind === 'EOF') return 'end of input';
  return t.text.length > 40 ? `'${t.text.slice(0, 37)}...'` : `'${t.text}'`;
}

function describeExpr(e: Expr): string {
  if (e.kind === 'property') return `property ${e.name}`;
  if (e.kind !== 'literal') return `a ${e.kind} expression`;
  const v = e.value;
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'string') return `string '${v.length > 30 ? `${v.slice(0, 27)}...` : v}'`;
  return `number ${String(v.value)}`;
}
