import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RocketMQError } from '../../src/common/errors.js';
import { evaluate, matches } from '../../src/filter/sql92/evaluator.js';
import { parseSql92 } from '../../src/filter/sql92/parser.js';
import { FilterEvaluationError } from '../../src/filter/sql92/values.js';

const PROPERTY_NAMES = ['a', 'b', 'TAGS', 'x_1', '$p'] as const;

const propertyName = fc.constantFrom(...PROPERTY_NAMES);
const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
const stringLiteral = fc.string({ maxLength: 6 }).map(quote);
const integerLiteral = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(2147483648)).map(String);
const floatLiteral = fc.double({ min: 0, max: 1e6, noNaN: true }).map((d) => d.toFixed(3));
const numberLiteral = fc.oneof(
  integerLiteral,
  floatLiteral,
  integerLiteral.map((n) => `-${n}`),
);
/** A numeric operand: a literal, or a property (compared numerically at run time). */
const numericOperand = fc.oneof(numberLiteral, propertyName);

/** Leaf predicates: every form of the grammar, with operands its type checks accept. */
const predicate = fc.oneof(
  fc.tuple(numericOperand, fc.constantFrom('>', '>=', '<', '<='), numericOperand).map((p) => p.join(' ')),
  fc
    .tuple(propertyName, fc.constantFrom('=', '<>'), fc.oneof(stringLiteral, numberLiteral, propertyName))
    .map((p) => p.join(' ')),
  fc.tuple(propertyName, fc.constantFrom('=', '<>'), fc.constantFrom('TRUE', 'FALSE')).map((p) => p.join(' ')),
  fc.tuple(propertyName, fc.constantFrom('IS NULL', 'IS NOT NULL', 'is not null')).map((p) => p.join(' ')),
  fc
    .tuple(propertyName, fc.boolean(), fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 50 }))
    .map(([p, not, low, span]) => `${p} ${not ? 'NOT ' : ''}BETWEEN ${low} AND ${low + span}`),
  fc
    .tuple(propertyName, fc.boolean(), fc.array(stringLiteral, { minLength: 1, maxLength: 6 }))
    .map(([p, not, list]) => `${p} ${not ? 'NOT ' : ''}IN (${list.join(', ')})`),
  fc
    .tuple(propertyName, fc.boolean(), fc.constantFrom('CONTAINS', 'STARTSWITH', 'ENDSWITH', 'LIKE'), stringLiteral)
    .map(([p, not, op, s]) => `${p} ${not ? 'NOT ' : ''}${op} ${s}`),
  fc.constantFrom('TRUE', 'FALSE', 'NULL'),
  propertyName,
);

/** Boolean expressions built from the grammar: predicates combined with NOT, AND, OR and parentheses. */
const { expression } = fc.letrec((tie) => ({
  expression: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    predicate,
    tie('expression').map((e) => `NOT (${e})`),
    fc
      .tuple(tie('expression'), fc.constantFrom('AND', 'OR', 'and', 'or'), tie('expression'))
      .map(([l, op, r]) => `${l} ${op} ${r}`),
    tie('expression').map((e) => `(${e})`),
  ),
}));

/** Property values: numbers of every shape, booleans, arbitrary strings. */
const propertyValue = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: false }).map(String),
  fc.constantFrom('true', 'FALSE', '', ' 1.5 ', '1e3', '9223372036854775808', 'NaN', '-0'),
  fc.string({ maxLength: 6 }),
);
const properties = fc.dictionary(propertyName, propertyValue);

/** Runs evaluate and reports its outcome, with conversion failures as 'error'. */
function outcome(expr: ReturnType<typeof parseSql92>, props: Record<string, string>) {
  try {
    return evaluate(expr, props);
  } catch (err) {
    if (err instanceof FilterEvaluationError) return 'error';
    throw err;
  }
}

describe('SQL92 parser and evaluator properties', () => {
  it('every expression built from the grammar parses and evaluates without throwing', () => {
    fc.assert(
      fc.property(expression, properties, (text, props) => {
        const ast = parseSql92(text);
        const result = outcome(ast, props);
        expect(result === null || result === true || result === false || result === 'error').toBe(true);
        expect(typeof matches(ast, props)).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });

  it('NOT inverts true and false and keeps unknown unknown', () => {
    fc.assert(
      fc.property(expression, properties, (text, props) => {
        const inner = outcome(parseSql92(text), props);
        const negated = outcome(parseSql92(`NOT (${text})`), props);
        if (inner === 'error') expect(negated).toBe('error');
        else expect(negated).toBe(inner === null ? null : !inner);
        expect(matches(parseSql92(`NOT (${text})`), props)).toBe(inner === false);
      }),
      { numRuns: 200 },
    );
  });

  it('AND and OR follow three-valued logic', () => {
    fc.assert(
      fc.property(expression, expression, properties, (l, r, props) => {
        const lv = outcome(parseSql92(l), props);
        const rv = outcome(parseSql92(r), props);
        const and = outcome(parseSql92(`(${l}) AND (${r})`), props);
        const or = outcome(parseSql92(`(${l}) OR (${r})`), props);
        if (lv === 'error') {
          expect(and).toBe('error');
          expect(or).toBe('error');
          return;
        }
        if (lv === false) expect(and).toBe(false);
        if (lv === true) expect(or).toBe(true);
        if (rv === 'error') return;
        if (lv !== false) expect(and).toBe(rv === false ? false : lv === null || rv === null ? null : true);
        if (lv !== true) expect(or).toBe(rv === true ? true : lv === null || rv === null ? null : false);
      }),
      { numRuns: 200 },
    );
  });

  it('random text either parses or throws SUBSCRIPTION_PARSE_FAILED with a position', () => {
    const tokenSoup = fc
      .array(
        fc.constantFrom(
          'a',
          'TAGS',
          'NOT',
          'AND',
          'OR',
          'BETWEEN',
          'IN',
          'IS',
          'NULL',
          'TRUE',
          'FALSE',
          'LIKE',
          'ESCAPE',
          'CONTAINS',
          '=',
          '<>',
          '>',
          '>=',
          '<',
          '<=',
          '(',
          ')',
          ',',
          '+',
          '-',
          "'x'",
          "'",
          '1',
          '2.5',
          '.5e3',
          '1e',
          '0',
          '9223372036854775808',
          '--',
          '/*',
          '*/',
          '\n',
          '!',
          '"',
        ),
        { maxLength: 15 },
      )
      .map((parts) => parts.join(' '));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 30 }), tokenSoup), (text) => {
        try {
          const ast = parseSql92(text);
          expect(typeof matches(ast, { a: '1', TAGS: 'x' })).toBe('boolean');
        } catch (err) {
          expect(err).toBeInstanceOf(RocketMQError);
          expect((err as RocketMQError).code).toBe('SUBSCRIPTION_PARSE_FAILED');
          expect((err as RocketMQError).message).toMatch(/at line \d+, column \d+ \(offset \d+\)/);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('mutating a valid expression (cut, insert, delete) never raises anything but the typed error', () => {
    fc.assert(
      fc.property(expression, fc.nat(), fc.nat(), fc.string({ maxLength: 3 }), (text, at, len, insert) => {
        const i = at % (text.length + 1);
        const mutated = text.slice(0, i) + insert + text.slice(i + (len % 4));
        try {
          parseSql92(mutated);
        } catch (err) {
          expect(err).toBeInstanceOf(RocketMQError);
          expect((err as RocketMQError).code).toBe('SUBSCRIPTION_PARSE_FAILED');
        }
      }),
      { numRuns: 500 },
    );
  });
});
