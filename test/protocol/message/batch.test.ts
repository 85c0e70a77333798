import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/common/errors.js';
import { decodeBatch, encodeBatch } from '../../../src/protocol/message/batch.js';

/** Written by hand from reference §5.6. */
const GOLDEN_BATCH = Buffer.from(
  [
    '0000001c', // item 1 totalSize 28 = 22 + body 2 + props 4
    '00000000', // magic 0
    '00000000', // body CRC 0
    '00000000', // flag 0
    '00000002', // bodyLen 2
    '6162', // body "ab"
    '0004', // propsLen 4
    '4b017602', // props "K" 01 "v" 02
    '00000016', // item 2 totalSize 22
    '00000000', // magic 0
    '00000000', // body CRC 0
    '00000001', // flag 1
    '00000000', // bodyLen 0
    '0000', // propsLen 0
  ].join(''),
  'hex',
);

describe('batch body', () => {
  it('matches the hand-written layout both ways', () => {
    const items = [
      { flag: 0, body: Buffer.from('ab'), properties: 'K\u0001v\u0002' },
      { flag: 1, body: Buffer.alloc(0), properties: '' },
    ];
    expect(encodeBatch(items).toString('hex')).toBe(GOLDEN_BATCH.toString('hex'));
    expect(decodeBatch(GOLDEN_BATCH)).toEqual(items);
    expect(decodeBatch(Buffer.alloc(0))).toEqual([]);
  });

  it('rejects overruns and inconsistent sizes with BODY_MALFORMED', () => {
    const wrongTotal = Buffer.from(GOLDEN_BATCH);
    wrongTotal.writeInt32BE(29, 0);
    for (const bad of [GOLDEN_BATCH.subarray(0, 27), GOLDEN_BATCH.subarray(0, 40), wrongTotal]) {
      expect(() => decodeBatch(bad)).toThrow(expect.objectContaining({ code: 'BODY_MALFORMED' }));
    }
  });

  it('round-trips random batches (seeded)', () => {
    const item = fc.record({
      flag: fc.integer(),
      body: fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
      properties: fc.string({ unit: 'binary', maxLength: 60 }),
    });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 5 }), (items) => {
        expect(decodeBatch(encodeBatch(items))).toEqual(items);
      }),
      { seed: 11, numRuns: 100 },
    );
  });

  it('decodeBatch throws only ProtocolError on arbitrary or mutated bytes', () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc
        .tuple(fc.nat(GOLDEN_BATCH.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(GOLDEN_BATCH.length))
        .map(([at, value, cut]) => {
          const buf = Buffer.from(GOLDEN_BATCH);
          buf[at] = value;
          return buf.subarray(0, cut);
        }),
    );
    fc.assert(
      fc.property(input, (buf) => {
        try {
          decodeBatch(buf);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
