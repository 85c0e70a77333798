import { describe, expect, it } from 'vitest';
import { RocketMQError } from '../../src/common/errors.js';
import { compileSql92 } from '../../src/filter/message-filter.js';
import { evaluate } from '../../src/filter/sql92/evaluator.js';
import { parseSql92 } from '../../src/filter/sql92/parser.js';

/** Messages (their user properties, TAGS included) the table evaluates against. */
const MSG = {
  /** a=2, TAGS=TagA */
  m1: { TAGS: 'TagA', a: '2', b: '10', s: 'hello world', f: '1.5', flag: 'true', big: '5000000000' },
  /** a=5, TAGS=TagB */
  m2: { TAGS: 'TagB', a: '5', s: "it's", f: '-0.25', flag: 'FALSE', neg: '-7' },
  /** no properties at all */
  empty: {},
  /** non-numeric a */
  text: { TAGS: 'TagC', a: 'abc', s: '100%_sure', pct: '50%' },
} as const;
type MsgName = keyof typeof MSG;

/** expression → names of the messages it matches. */
const TABLE: [string, MsgName[]][] = [
  // equality on strings and TAGS
  ["TAGS = 'TagA'", ['m1']],
  ["TAGS <> 'TagA'", ['m2', 'text']], // a missing TAGS is unknown, so <> does not match `empty`
  ["'TagA' = TAGS", ['m1']],
  ["tags = 'TagA'", []], // property names are case-sensitive
  ["s = 'it''s'", ['m2']], // '' is an escaped quote
  // numeric comparisons: the property string is converted to the literal's type
  ['a = 2', ['m1']],
  ['a = 2.0', ['m1']],
  ['a > 2', ['m2']], // 'abc' fails the conversion: no match, not an error
  ['a >= 2', ['m1', 'm2']],
  ['a < 5', ['m1']],
  ['a <= 5', ['m1', 'm2']],
  ['a <> 2', ['m2']],
  ['2 < a', ['m2']],
  ['a > -1', ['m1', 'm2']],
  ['-a < 0', []], // negating a string property gives null
  ['f > 1.0', ['m1']],
  ['f > 1', []], // '1.5' is not an Integer (Java's Integer.valueOf fails)
  ['f < 0.0', ['m2']],
  ['f = -0.25', ['m2']],
  ['f >= 1.5E0', ['m1']],
  ['f >= .5', ['m1']],
  ['big > 4000000000', ['m1']], // long literal, long property
  ['big > 4', []], // int literal, property beyond int: conversion fails
  ['big > 4.0', ['m1']],
  ['neg < -6', ['m2']],
  ['b > a', ['m1']], // two string properties order as doubles
  ['a = 2L', ['m1']],
  // boolean
  ['flag = TRUE', ['m1']],
  ['flag = FALSE', ['m2']], // Boolean.valueOf('FALSE') is false
  ['TRUE = flag', ['m1']], // symmetric (Java fails this comparison: see docs/filters.md)
  ['flag', []], // a property alone is true only for a boolean value, and properties are strings
  ['TRUE', ['m1', 'm2', 'empty', 'text']],
  ['FALSE', []],
  ['NULL', []],
  ['(a > 1) = TRUE', ['m1', 'm2']],
  // null handling
  ['a IS NULL', ['empty']],
  ['a IS NOT NULL', ['m1', 'm2', 'text']],
  ['zzz IS NULL', ['m1', 'm2', 'empty', 'text']],
  ['a = 2 OR zzz = 1', ['m1']],
  ['NOT (zzz = 1)', []], // NOT unknown is unknown
  ['zzz = 1 OR TRUE', ['m1', 'm2', 'empty', 'text']], // unknown OR true is true
  ['zzz = 1 AND FALSE', []],
  ['NOT (zzz = 1 AND FALSE)', ['m1', 'm2', 'empty', 'text']], // unknown AND false is false
  ['zzz = yyy', ['m1', 'm2', 'empty', 'text']], // Java: two nulls are equal
  // BETWEEN / NOT BETWEEN
  ['a BETWEEN 2 AND 5', ['m1', 'm2']],
  ['a BETWEEN 3 AND 5', ['m2']],
  ['a BETWEEN 2 AND 2', ['m1']],
  ['a NOT BETWEEN 3 AND 5', ['m1']],
  ['f BETWEEN -1.0 AND 0.0', ['m2']],
  ['a BETWEEN -5 AND 5', ['m1', 'm2']],
  ['a NOT BETWEEN 0 AND 10', []],
  // IN / NOT IN
  ["TAGS IN ('TagA', 'TagB')", ['m1', 'm2']],
  ["TAGS NOT IN ('TagA', 'TagB')", ['text']],
  ["TAGS in ('TagA')", ['m1']],
  ["a IN ('2', '3', '4', '5', '6')", ['m1', 'm2']],
  ["zzz NOT IN ('x')", []],
  // CONTAINS / STARTSWITH / ENDSWITH (RocketMQ 5.x)
  ["s CONTAINS 'world'", ['m1']],
  ["s NOT CONTAINS 'world'", ['m2', 'text']], // missing: false (not unknown) → NOT still false
  ["s STARTSWITH 'hello'", ['m1']],
  ["s ENDSWITH 'sure'", ['text']],
  ["s NOT ENDSWITH 'sure'", ['m1', 'm2']],
  ["s CONTAINS ''", []],
  // LIKE (extension): % any run, _ one character, ESCAPE
  ["s LIKE 'hello%'", ['m1']],
  ["s LIKE 'h_llo world'", ['m1']],
  ["s LIKE '%o%'", ['m1']],
  ["s NOT LIKE 'hello%'", ['m2', 'text']],
  ["s LIKE '100!%!_sure' ESCAPE '!'", ['text']],
  ["s LIKE '100!%!_sur' ESCAPE '!'", []],
  ["pct LIKE '50%'", ['text']],
  ["s LIKE 'it''s'", ['m2']],
  ["s LIKE '.*'", []], // regex characters are literal
  // precedence: AND binds tighter than OR; NOT binds tighter than =
  ["TAGS = 'TagA' OR TAGS = 'TagB' AND a = 2", ['m1']],
  ["(TAGS = 'TagA' OR TAGS = 'TagB') AND a = 5", ['m2']],
  ["TAGS = 'TagB' AND a = 5 OR TAGS = 'TagC'", ['m2', 'text']],
  ['NOT a = 2', []], // (NOT a) = 2: NOT of a string property is a boolean, never equal to 2
  ['NOT (a = 2)', ['m2']], // 'abc' = 2 fails the conversion: no match either way
  ['NOT NOT (a = 2)', ['m1']],
  ['a = 2 = TRUE', ['m1']], // (a = 2) = TRUE
  ['a IS NOT NULL AND NOT (a < 3)', ['m2']], // 'abc' < 3 fails: the whole expression fails
  // keywords are case-insensitive; comments and whitespace are skipped
  ["TAGS is NOT null aNd TAGS iN ('TagA') -- trailing comment", ['m1']],
  ['/* c */ a\n=\t2 /* d */', ['m1']],
  // the Java example filter
  ["(TAGS is not null and TAGS in ('TagA', 'TagB')) and (a is not null and a between 0 and 3)", ['m1']],
];

describe('SQL92 expressions × messages', () => {
  const names = Object.keys(MSG) as MsgName[];
  it.each(TABLE)('%s', (expression, expected) => {
    const compiled = compileSql92(expression);
    const matched = names.filter((n) => compiled.matches(MSG[n]));
    expect(matched).toEqual(expected);
  });

  it('accepts a Map of properties as well as a record', () => {
    expect(
      compileSql92("TAGS = 'x' AND n > 1").matches(
        new Map([
          ['TAGS', 'x'],
          ['n', '2'],
        ]),
      ),
    ).toBe(true);
  });

  it('does not see inherited object keys as properties', () => {
    expect(compileSql92('constructor IS NULL').matches({})).toBe(true);
    expect(compileSql92("toString = 'x'").matches({})).toBe(false);
  });
});

describe('three-valued results', () => {
  it('returns null for unknown, booleans otherwise', () => {
    expect(evaluate(parseSql92('a > 1'), {})).toBeNull();
    expect(evaluate(parseSql92('NOT (a > 1)'), {})).toBeNull();
    expect(evaluate(parseSql92('a > 1 OR TRUE'), {})).toBe(true);
    expect(evaluate(parseSql92('a > 1 AND TRUE'), {})).toBeNull();
    expect(evaluate(parseSql92('a IS NULL'), {})).toBe(true);
  });
});

/** Invalid expressions, the position (offset) the error names, and a fragment of what it says. */
const BAD: [string, number, string][] = [
  ['', 0, 'expected a value'],
  ['a >', 3, 'found end of input'],
  ['a = ', 4, 'expected a value'],
  ["a > 'x'", 4, 'cannot be compared with >'],
  ["'x' < 3", 0, 'cannot be compared with <'],
  ['a > TRUE', 4, 'cannot be compared'],
  ['a > NULL', 4, 'cannot be compared'],
  ['(a = 1) > 2', 3, 'cannot be compared'],
  ['a = NULL', 4, 'use IS NULL'],
  ['NULL <> a', 0, 'use IS NULL'],
  ['TRUE = 1', 7, 'cannot be compared'],
  ['5', 0, 'expected a boolean expression'],
  ["'abc'", 0, 'expected a boolean expression'],
  ['-a', 0, 'expected a boolean expression'],
  ['a AND 5', 6, 'expected a boolean expression'],
  ['NOT 5', 4, 'expected a boolean expression'],
  ['a IN (1, 2)', 6, 'string literal'],
  ["a IN ('x',)", 10, 'string literal'],
  ["a IN ('x'", 9, "',' or ')'"],
  ["'x' IN ('x')", 0, 'IN needs a property'],
  ['a BETWEEN 5 AND 1', 2, 'out of order'],
  ['a BETWEEN 1 OR 5', 12, 'AND between'],
  ["a BETWEEN 'a' AND 'b'", 10, 'cannot be compared with BETWEEN'],
  ['a IS 5', 5, 'NULL or NOT NULL'],
  ['a IS NOT 5', 9, 'NULL after IS NOT'],
  ["a LIKE 'x' ESCAPE 'ab'", 18, 'single escape character'],
  ['a LIKE 5', 7, 'pattern string'],
  ['a CONTAINS b', 11, 'string literal after CONTAINS'],
  ['a = 1 b = 2', 6, 'expected end of input'],
  ['a != 1', 2, 'unexpected character "!"'],
  ["a = 'unterminated", 4, 'unterminated string'],
  ['a = 1 /* open', 6, 'unterminated /*'],
  ['((a = 1)', 8, 'closing parenthesis'],
  ['a = 9223372036854775808', 4, 'out of the long range'],
  ['a = 1e999', 4, 'out of the double range'],
  ['a = 007', 5, 'expected end of input'],
  ['AND', 0, 'expected a value'],
  ['a NOT = 1', 2, 'expected end of input'],
  [`${'('.repeat(500)}a = 1${')'.repeat(500)}`, 200, 'nested deeper'],
];

describe('invalid expressions', () => {
  it.each(BAD)('%j fails at offset %i', (expression, offset, fragment) => {
    let caught: unknown;
    try {
      parseSql92(expression);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RocketMQError);
    const err = caught as RocketMQError;
    expect(err.code).toBe('SUBSCRIPTION_PARSE_FAILED');
    expect(err.responseCode).toBe(23);
    expect(err.message).toContain(`(offset ${offset})`);
    expect(err.message).toContain(fragment);
  });

  it('reports line and column across lines', () => {
    expect(() => parseSql92("a = 1 AND\n  b = 'x' AND\n  c >")).toThrow(/line 3, column 6 \(offset 29\)/);
  });

  it('caches failures too and throws a fresh error each time', () => {
    const attempt = () => {
      try {
        compileSql92('a >');
      } catch (err) {
        return err;
      }
    };
    const first = attempt();
    const second = attempt();
    expect(first).toBeInstanceOf(RocketMQError);
    expect(second).toBeInstanceOf(RocketMQError);
    expect(second).not.toBe(first);
    expect((second as Error).message).toBe((first as Error).message);
  });

  it('a long flat chain deeper than the limit is rejected, not a stack overflow', () => {
    const chain = Array.from({ length: 5000 }, (_, i) => `a = ${i}`).join(' OR ');
    expect(() => parseSql92(chain)).toThrow(/nested deeper/);
  });
});
