import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeProperties,
  encodeProperties,
  KEY_SEPARATOR,
  MessageConst,
  RESERVED_PROPERTY_KEYS,
} from '../../../src/protocol/message/properties.js';

describe('encodeProperties', () => {
  it('writes name \\u0001 value \\u0002 per entry and skips null/undefined values', () => {
    expect(encodeProperties({ TAGS: 'TagA', KEYS: 'k1 k2', WAIT: 'true' })).toBe(
      'TAGS\u0001TagA\u0002KEYS\u0001k1 k2\u0002WAIT\u0001true\u0002',
    );
    expect(
      encodeProperties(
        new Map<string, string | undefined>([
          ['a', 'b'],
          ['skip', undefined],
        ]),
      ),
    ).toBe('a\u0001b\u0002');
    expect(encodeProperties({})).toBe('');
  });
});

describe('decodeProperties', () => {
  it('decodes a Java-written string', () => {
    const props = decodeProperties('UNIQ_KEY\u0001AC1100010001\u0002TAGS\u0001TagA\u0002');
    expect({ ...props }).toEqual({ UNIQ_KEY: 'AC1100010001', TAGS: 'TagA' });
  });

  it('applies Java rules: empty names/values dropped, short segments dropped, last duplicate wins', () => {
    const props = decodeProperties(
      '\u0001v\u0002' + // empty name
        'k\u0001\u0002' + // empty value
        'ab\u0002' + // no separator
        'x\u0001\u0001y\u0002' + // value is everything after the first \u0001
        'd\u00011\u0002d\u00012\u0002' + // duplicate
        'tail\u0001end', // no trailing \u0002
    );
    expect({ ...props }).toEqual({ x: '\u0001y', d: '2', tail: 'end' });
  });

  it('treats __proto__ as a plain key', () => {
    const props = decodeProperties('__proto__\u0001polluted\u0002constructor\u0001x\u0002');
    expect(Object.getOwnPropertyDescriptor(props, '__proto__')?.value).toBe('polluted');
    expect(Object.keys(props)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('round-trips maps without separators or empty parts (seeded)', () => {
    const part = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/[\u0001\u0002]/.test(s));
    fc.assert(
      fc.property(fc.dictionary(part, part), (dict) => {
        expect({ ...decodeProperties(encodeProperties(dict)) }).toEqual({ ...dict });
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '\u0001', '\u0002', 'é') }), (s) => {
        expect(typeof decodeProperties(s)).toBe('object');
      }),
      { numRuns: 300 },
    );
  });
});

describe('MessageConst', () => {
  it('has the exact Java key strings', () => {
    expect(MessageConst.TRANSACTION_PREPARED_QUEUE_OFFSET).toBe('TRAN_PREPARED_QUEUE_OFFSET');
    expect(MessageConst.SHARDING_KEY).toBe('__SHARDINGKEY');
    expect(MessageConst.STARTDELIVERTIME).toBe('__STARTDELIVERTIME');
    expect(MessageConst.TRANSACTION_ID).toBe('__transactionId__');
    expect(MessageConst.FIRST_POP_TIME).toBe('1ST_POP_TIME');
    expect(KEY_SEPARATOR).toBe(' ');
  });

  it('marks the reserved keys', () => {
    expect(RESERVED_PROPERTY_KEYS.has('UNIQ_KEY')).toBe(true);
    expect(RESERVED_PROPERTY_KEYS.has('TIMER_DELIVER_MS')).toBe(true);
    expect(RESERVED_PROPERTY_KEYS.has('__SHARDINGKEY')).toBe(false);
    expect(RESERVED_PROPERTY_KEYS.has('CHECK_IMMUNITY_TIME_IN_SECONDS')).toBe(false);
  });
});
