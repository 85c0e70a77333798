import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/common/errors.js';
import { LanguageCode } from '../../src/protocol/command.js';
import { decodeJsonHeader, encodeJsonHeader } from '../../src/protocol/header-json.js';

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

function expectHeaderMalformed(bytes: Buffer): void {
  try {
    decodeJsonHeader(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('HEADER_MALFORMED');
    return;
  }
  expect.fail(`expected HEADER_MALFORMED for ${bytes.toString()}`);
}

const base = { code: 0, language: 0, version: 479, opaque: 1, flag: 0, remark: undefined, extFields: undefined };

describe('encodeJsonHeader', () => {
  it('writes properties alphabetically, language by name, null properties omitted', () => {
    const header = encodeJsonHeader({
      ...base,
      code: 0,
      flag: 1,
      opaque: 42,
      remark: 'é "quoted"',
      extFields: { msgId: 'AC11', queueId: '3', MSG_REGION: 'DefaultRegion' },
    });
    // written by hand from reference §1.3
    expect(header.toString('utf8')).toBe(
      '{"code":0,"extFields":{"msgId":"AC11","queueId":"3","MSG_REGION":"DefaultRegion"},"flag":1,' +
        '"language":"JAVA","opaque":42,"remark":"é \\"quoted\\"","serializeTypeCurrentRPC":"JSON","version":479}',
    );
  });

  it('writes the language name for each known ordinal and the number for an unknown one', () => {
    expect(encodeJsonHeader({ ...base, language: LanguageCode.NODE_JS }).toString()).toContain('"language":"NODE_JS"');
    expect(encodeJsonHeader({ ...base, language: 200 }).toString()).toContain('"language":200,');
  });

  it('refuses non-integer int fields instead of writing garbage', () => {
    for (const bad of [{ code: Number.NaN }, { opaque: 1.5 }, { version: Number.POSITIVE_INFINITY }]) {
      expect(() => encodeJsonHeader({ ...base, ...bad })).toThrow(
        expect.objectContaining({ name: 'ProtocolError', code: 'INVALID_HEADER_FIELD' }),
      );
    }
  });
});

describe('decodeJsonHeader', () => {
  it('coerces extFields numbers and booleans to strings and reads a language ordinal (ali-ons style)', () => {
    const decoded = decodeJsonHeader(
      utf8(
        '{"code":310,"language":13,"version":0,"opaque":5,"flag":0,' +
          '"extFields":{"a":"pg","d":4,"e":-1,"g":1700000000000,"k":false,"m":true,"x":null}}',
      ),
    );
    expect(decoded).toEqual({
      code: 310,
      language: LanguageCode.NODE_JS,
      version: 0,
      opaque: 5,
      flag: 0,
      remark: undefined,
      extFields: { a: 'pg', d: '4', e: '-1', g: '1700000000000', k: 'false', m: 'true' },
    });
  });

  it('defaults missing fields, ignores unknown ones, reads integers given as strings', () => {
    expect(decodeJsonHeader(utf8('{"code":"17","serializeTypeCurrentRPC":"JSON","whatever":[1,{}]}'))).toEqual({
      code: 17,
      language: LanguageCode.JAVA,
      version: 0,
      opaque: 0,
      flag: 0,
      remark: undefined,
      extFields: undefined,
    });
  });

  it('reads language names, unknown names as OTHER, and keeps a remark', () => {
    expect(decodeJsonHeader(utf8('{"code":1,"language":"GO","remark":"no"}'))).toMatchObject({
      language: LanguageCode.GO,
      remark: 'no',
    });
    expect(decodeJsonHeader(utf8('{"code":1,"language":"COBOL"}')).language).toBe(LanguageCode.OTHER);
  });

  it("accepts fastjson's lenient syntax: single quotes, unquoted names, a trailing comma", () => {
    expect(decodeJsonHeader(utf8("{code:11,'extFields':{topic:'T',queueId:0,},opaque:3,}"))).toMatchObject({
      code: 11,
      opaque: 3,
      extFields: { topic: 'T', queueId: '0' },
    });
  });

  it('keeps an extFields "__proto__" key as data', () => {
    const decoded = decodeJsonHeader(utf8('{"code":1,"extFields":{"__proto__":1,"b":"x"}}'));
    expect(Object.hasOwn(decoded.extFields!, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(decoded.extFields)).toBe(Object.prototype);
  });

  it('rejects invalid UTF-8, bad JSON, non-objects and non-integer fields', () => {
    expectHeaderMalformed(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])); // {"\xff":1}
    expectHeaderMalformed(utf8('{"code":310'));
    expectHeaderMalformed(utf8(''));
    expectHeaderMalformed(utf8('310'));
    expectHeaderMalformed(utf8('null'));
    expectHeaderMalformed(utf8('["code"]'));
    expectHeaderMalformed(utf8('{}'));
    expectHeaderMalformed(utf8('{"code":1.5}'));
    expectHeaderMalformed(utf8('{"code":"abc"}'));
    expectHeaderMalformed(utf8('{"code":true}'));
    expectHeaderMalformed(utf8('{"code":1,"opaque":1099511627776}'));
    expectHeaderMalformed(utf8('{"code":1,"opaque":{}}'));
    expectHeaderMalformed(utf8('{"code":1,"language":-1}'));
    expectHeaderMalformed(utf8('{"code":1,"extFields":[]}'));
    expectHeaderMalformed(utf8('{"code":1,"extFields":"a=b"}'));
  });

  it('round-trips what it encodes', () => {
    const cmd = { ...base, code: 105, opaque: 77, remark: 'r', extFields: { topic: 'T', 'k-é': 'v\u0000' } };
    expect(decodeJsonHeader(encodeJsonHeader(cmd))).toEqual(cmd);
  });
});
