import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/common/errors.js';
import { decodeBinaryHeader, encodeBinaryHeader } from '../../src/protocol/header-binary.js';

const hex = (...parts: string[]): Buffer => Buffer.from(parts.join(''), 'hex');

function expectError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(code);
    return;
  }
  expect.fail(`expected ProtocolError ${code}`);
}

/** The 13 fixed bytes before the remark: code 11 (PULL_MESSAGE), JAVA, version 479, opaque 9, flag 0. */
const FIXED = [
  '000b', // code 11
  '00', // language JAVA
  '01df', // version 479
  '00000009', // opaque 9
  '00000000', // flag 0
].join('');

const base = { code: 11, language: 0, version: 479, opaque: 9, flag: 0, remark: undefined, extFields: undefined };

describe('encodeBinaryHeader', () => {
  it('writes the §1.5 layout: fixed fields, remark, ext area of keyLen:int16/valLen:int32 entries', () => {
    const header = encodeBinaryHeader({ ...base, remark: 'é', extFields: { topic: 'T', skip: undefined as never } });
    expect(header.toString('hex')).toBe(
      [
        FIXED,
        '00000002', // remark length 2 (UTF-8 of é)
        'c3a9', // remark
        '0000000c', // ext area length 12 = 2 + 5 + 4 + 1
        '0005', // key length 5
        '746f706963', // "topic"
        '00000001', // value length 1
        '54', // "T"  (the undefined entry is not written)
      ].join(''),
    );
  });

  it('writes short, long, ASCII and non-ASCII strings alike, and headers larger than its scratch buffer', () => {
    const long = `${'x'.repeat(3000)}ü${'y'.repeat(3000)}`; // past the short-string loop and the 2 KiB scratch
    const extFields = { a: 'plain', ü: 'ö', big: long, ascii: 'z'.repeat(600), ['k'.repeat(40)]: '' };
    const header = encodeBinaryHeader({ ...base, remark: 'résumé', extFields });
    const back = decodeBinaryHeader(header);
    expect(back.remark).toBe('résumé');
    // the empty value is written (length 0) and skipped on decode, as Java's null
    expect(back.extFields).toEqual({ a: 'plain', ü: 'ö', big: long, ascii: 'z'.repeat(600) });
    // one copy per call: a second encode does not change the first result
    const again = encodeBinaryHeader(base);
    expect(decodeBinaryHeader(header).extFields?.big).toBe(long);
    expect(again.length).toBe(21);
  });

  it('writes the minimal 21-byte header', () => {
    expect(encodeBinaryHeader(base).toString('hex')).toBe(`${FIXED}0000000000000000`);
  });

  it('refuses fields the layout cannot hold instead of truncating them', () => {
    expectError(() => encodeBinaryHeader({ ...base, code: 200050 }), 'INVALID_HEADER_FIELD'); // POP code > int16
    expectError(() => encodeBinaryHeader({ ...base, code: -32769 }), 'INVALID_HEADER_FIELD');
    expectError(() => encodeBinaryHeader({ ...base, version: 40000 }), 'INVALID_HEADER_FIELD');
    expectError(() => encodeBinaryHeader({ ...base, language: 256 }), 'INVALID_HEADER_FIELD');
    expectError(() => encodeBinaryHeader({ ...base, extFields: { ['k'.repeat(40000)]: 'v' } }), 'INVALID_HEADER_FIELD');
    expect(encodeBinaryHeader({ ...base, code: 32767 }).readInt16BE(0)).toBe(32767);
  });
});

describe('decodeBinaryHeader', () => {
  it('reads code and version as signed int16', () => {
    expect(decodeBinaryHeader(hex('ffff', '0d', '0001', '00000000', '00000001', '00000000', '00000000'))).toEqual({
      code: -1,
      language: 13,
      version: 1,
      opaque: 0,
      flag: 1,
      remark: undefined,
      extFields: undefined,
    });
  });

  it('treats zero-length strings as null: entries with an empty key or value are skipped', () => {
    const decoded = decodeBinaryHeader(
      hex(
        FIXED,
        '00000000', // remark length 0 ⇒ undefined
        '00000015', // ext area length 21 = 7 + 7 + 7
        '0001',
        '61', // "a"
        '00000000', // empty value ⇒ skipped
        '0000', // empty key
        '00000001',
        '78', // "x" ⇒ skipped
        '0001',
        '62', // "b"
        '00000000', // empty ⇒ skipped
      ),
    );
    expect(decoded.remark).toBeUndefined();
    expect(decoded.extFields).toBeUndefined();
  });

  it('lets the last duplicate key win', () => {
    const decoded = decodeBinaryHeader(
      hex(FIXED, '00000000', '00000010', '0001', '6b', '00000001', '31', '0001', '6b', '00000001', '32'),
    );
    expect(decoded.extFields).toEqual({ k: '2' });
  });

  it('keeps a "__proto__" key as data', () => {
    const decoded = decodeBinaryHeader(
      hex(FIXED, '00000000', '00000010', '0009', Buffer.from('__proto__').toString('hex'), '00000001', '31'),
    );
    expect(Object.hasOwn(decoded.extFields!, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(decoded.extFields)).toBe(Object.prototype);
  });

  it('rejects lengths that overrun, negative lengths, short headers and invalid UTF-8', () => {
    const bad = [
      hex(FIXED, '00000000'), // 17 bytes: no ext length
      hex(FIXED, '00000005', '6162', '00000000'), // remark length 5 overruns
      hex(FIXED, 'ffffffff', '00000000'), // remark length -1
      hex(FIXED, '00000000', '00000008', '0001'), // ext length 8 overruns
      hex(FIXED, '00000000', '80000000'), // ext length negative
      hex(FIXED, '00000000', '00000001', '00'), // ext area too short for a key length
      hex(FIXED, '00000000', '00000007', '0005', '6100000001'), // key length 5 overruns the ext area
      hex(FIXED, '00000000', '00000007', 'ffff', '6100000001'), // key length -1
      hex(FIXED, '00000000', '00000008', '0001', '61', '00000002', '78'), // value length 2 overruns
      hex(FIXED, '00000000', '00000008', '0001', '61', 'ffffffff', '78'), // value length -1
      hex(FIXED, '00000000', '00000008', '0001', '61', '00000001', 'ff'), // value not UTF-8
      hex(FIXED, '00000002', 'c328', '00000000'), // remark not UTF-8
    ];
    for (const bytes of bad) expectError(() => decodeBinaryHeader(bytes), 'HEADER_MALFORMED');
  });

  it('round-trips long ASCII values whose length bytes are >= 0x80, and fixed fields with high bytes', () => {
    const cmd = { ...base, version: 479, opaque: 0x7fffff80, extFields: { long: 'x'.repeat(200), k: 'v' } };
    const header = encodeBinaryHeader(cmd);
    expect(header.readInt32BE(21 + 2 + 4)).toBe(200); // value length 0x000000c8, after extLen, keyLen, "long"
    expect(decodeBinaryHeader(header)).toEqual(cmd);
  });

  it('round-trips what it encodes, non-ASCII included', () => {
    const cmd = { ...base, flag: 3, opaque: -5, remark: '备注 😀', extFields: { 主题: 'значение', a: 'b' } };
    expect(decodeBinaryHeader(encodeBinaryHeader(cmd))).toEqual(cmd);
  });
});
