import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ProtocolError } from '../../../src/common/errors.js';
import {
  decodeField,
  defineHeader,
  type HeaderOf,
  parseJavaBoolean,
  parseJavaInteger,
} from '../../../src/protocol/headers/header.js';

const Sample = defineHeader('SampleHeader', {
  name: { type: 'string', required: true },
  count: { type: 'int', required: true },
  offset: { type: 'long' },
  flag: { type: 'bool' },
});
type Sample = HeaderOf<typeof Sample>;

function errorOf(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

describe('defineHeader', () => {
  it('derives the TS type from the schema', () => {
    expectTypeOf<Sample>().toEqualTypeOf<{
      name: string;
      count: number;
      offset?: number | undefined;
      flag?: boolean | undefined;
    }>();
  });

  it('encodes to strings, skipping undefined', () => {
    expect(Sample.encode({ name: 'n', count: -3, offset: 9007199254740991, flag: false })).toEqual({
      name: 'n',
      count: '-3',
      offset: '9007199254740991',
      flag: 'false',
    });
    expect(Sample.encode({ name: '', count: 0, offset: undefined })).toEqual({ name: '', count: '0' });
  });

  it('decodes, ignoring unknown fields', () => {
    expect(
      Sample.decode({ name: 'x', count: '2147483647', offset: '-9007199254740991', flag: 'TRUE', extra: 'y' }),
    ).toEqual({ name: 'x', count: 2147483647, offset: -9007199254740991, flag: true });
    expect(Sample.decode({ name: 'x', count: '-2147483648' })).toEqual({ name: 'x', count: -2147483648 });
  });

  it('names the missing required field', () => {
    const err = errorOf(() => Sample.decode({ count: '1' }));
    expect(err.code).toBe('MISSING_HEADER_FIELD');
    expect(err.message).toContain('<name>');
    expect(errorOf(() => Sample.decode(undefined)).code).toBe('MISSING_HEADER_FIELD');
    expect(errorOf(() => Sample.decode({ name: 'x' })).message).toContain('<count>');
  });

  it.each([
    ['count', ''],
    ['count', '+'],
    ['count', '-'],
    ['count', '1.5'],
    ['count', '1e3'],
    ['count', ' 1'],
    ['count', '0x10'],
    ['count', 'abc'],
    ['count', '2147483648'],
    ['count', '-2147483649'],
    ['offset', '9007199254740992'],
    ['offset', '-9007199254740992'],
    ['offset', '12345678901234567890123'],
    ['offset', 'NaN'],
  ])('rejects %s = %j as INVALID_HEADER_FIELD naming the field', (field, raw) => {
    const err = errorOf(() => Sample.decode({ name: 'x', count: '1', [field]: raw }));
    expect(err.code).toBe('INVALID_HEADER_FIELD');
    expect(err.message).toContain(field);
  });

  it('parses ints like Java: sign, leading zeros', () => {
    expect(Sample.decode({ name: 'x', count: '+007' }).count).toBe(7);
    expect(Object.is(Sample.decode({ name: 'x', count: '-0' }).count, 0)).toBe(true);
    expect(parseJavaInteger('00000000000000000000000042', 100, 100)).toBe(42);
  });

  it('parses booleans like Boolean.parseBoolean', () => {
    for (const t of ['true', 'TRUE', 'True', 'tRuE']) expect(parseJavaBoolean(t)).toBe(true);
    for (const f of ['false', '', '1', 'yes', 'true ', 'truee']) expect(parseJavaBoolean(f)).toBe(false);
    expect(Sample.decode({ name: 'x', count: '1', flag: 'nope' }).flag).toBe(false);
  });

  it('tolerates non-string values from hand-built maps', () => {
    const ext = { name: 'x', count: 5, flag: true, offset: null } as unknown as Record<string, string>;
    expect(Sample.decode(ext)).toEqual({ name: 'x', count: 5, flag: true });
  });

  it('decodes a single field outside a schema', () => {
    expect(decodeField('H', { a: '12' }, 'a', 'long')).toBe(12);
    expect(decodeField('H', undefined, 'a', 'long')).toBeUndefined();
    expect(errorOf(() => decodeField('H', { a: 'x' }, 'a', 'int')).code).toBe('INVALID_HEADER_FIELD');
  });

  it('round-trips seeded random values', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            name: fc.string(),
            count: fc.integer({ min: -2147483648, max: 2147483647 }),
            offset: fc.maxSafeInteger(),
            flag: fc.boolean(),
          },
          { requiredKeys: ['name', 'count'] },
        ),
        (h) => {
          expect(Sample.decode(Sample.encode(h))).toEqual(h);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it('never throws anything but ProtocolError on arbitrary maps', () => {
    const value = fc.oneof(fc.string(), fc.constantFrom('1', '-1', 'true', '2147483648', '99999999999999999'));
    const key = fc.constantFrom('name', 'count', 'offset', 'flag', 'other', '__proto__');
    fc.assert(
      fc.property(fc.dictionary(key, value), (ext) => {
        try {
          Sample.decode(ext);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
