import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/common/errors.js';
import { parseJson, stringifyJson, stringifyJsonBuffer } from '../../src/protocol/fastjson.js';

function expectBodyMalformed(input: string | Buffer): void {
  try {
    parseJson(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('BODY_MALFORMED');
    return;
  }
  expect.fail(`expected BODY_MALFORMED for ${String(input).slice(0, 40)}`);
}

describe('parseJson', () => {
  it('reads standard JSON', () => {
    expect(parseJson('{"a":[1,2.5,-3e2,true,false,null,"x\\n\\u00e9"],"b":{}}')).toEqual({
      a: [1, 2.5, -300, true, false, null, 'x\né'],
      b: {},
    });
    expect(parseJson(Buffer.from('"é€"'))).toBe('é€');
  });

  it('reads fastjson number keys as string keys (route brokerAddrs)', () => {
    const route = parseJson(
      '{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a",' +
        '"cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[]}',
    );
    expect(route).toEqual({
      brokerDatas: [
        {
          brokerAddrs: { '0': '10.0.0.1:10911', '1': '10.0.0.2:10911' },
          brokerName: 'broker-a',
          cluster: 'DefaultCluster',
        },
      ],
      filterServerTable: {},
      queueDatas: [],
    });
    expect(parseJson('{-1:5, 12:{3:4}}')).toEqual({ '-1': 5, '12': { '3': 4 } });
  });

  it('reads MessageQueue object keys as their canonical JSON text with sorted keys', () => {
    const stats = parseJson(
      '{"consumeTps":0.0,"offsetTable":{{"topic":"t","queueId":0,"brokerName":"b"}:{"brokerOffset":5},' +
        '{"brokerName":"b","queueId":1,"topic":"t"}:{"brokerOffset":7}}}',
    ) as { offsetTable: Record<string, unknown> };
    expect(Object.keys(stats.offsetTable)).toEqual([
      '{"brokerName":"b","queueId":0,"topic":"t"}',
      '{"brokerName":"b","queueId":1,"topic":"t"}',
    ]);
    expect(stats.offsetTable['{"brokerName":"b","queueId":1,"topic":"t"}']).toEqual({ brokerOffset: 7 });
  });

  it('reads identifier keys, single quotes, stray commas, comments and type suffixes', () => {
    expect(parseJson("{name:'it',\n// note\n'q':\"x\",, list:[1,,2,], /* c */ n:12L, f:1.5F,}")).toEqual({
      name: 'it',
      q: 'x',
      list: [1, 2],
      n: 12,
      f: 1.5,
    });
    expect(parseJson("{'a\\'b':'\\x41'}")).toEqual({ "a'b": 'A' });
  });

  it('keeps duplicate keys last-wins and a __proto__ key as data', () => {
    const parsed = parseJson('{a:1,a:2,"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(parsed.a).toBe(2);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps integers beyond 2^53 as (imprecise) numbers', () => {
    expect(parseJson('{x:9223372036854775807}')).toEqual({ x: 2 ** 63 });
  });

  it('rejects unterminated, garbage and too-deep input with BODY_MALFORMED', () => {
    for (const bad of [
      '',
      '{',
      '{"a":',
      '{"a":1',
      '[1,2',
      '"abc',
      "{'a':'b",
      '{a}',
      '{"a" 1}',
      '[1 2]',
      'nul',
      'tru',
      '{"a":1}x',
      '@',
      '"\\q"',
      '"\\u12"',
      '/* open',
      '{{"a":1}',
    ]) {
      expectBodyMalformed(bad);
    }
    expectBodyMalformed(`${'['.repeat(513)}${']'.repeat(513)}`);
    expectBodyMalformed(`${'{a:'.repeat(600)}1${'}'.repeat(600)}`);
    expectBodyMalformed('['.repeat(200_000));
    expect(parseJson(`${'['.repeat(512)}${']'.repeat(512)}`)).toBeInstanceOf(Array);
  });

  it('rejects invalid UTF-8 in a Buffer', () => {
    expectBodyMalformed(Buffer.from([0x22, 0xc3, 0x28, 0x22]));
    expect(parseJson(Buffer.from('"\uFFFD"'))).toBe('\uFFFD');
  });
});

describe('stringifyJson', () => {
  it('sorts properties, omits null and undefined, quotes plain-object keys', () => {
    expect(stringifyJson({ b: 1, a: 'x', c: null, d: undefined, e: [null, undefined, 2], 1: true })).toBe(
      '{"1":true,"a":"x","b":1,"e":[null,null,2]}',
    );
    expect(stringifyJson({ b: 1, a: 2 }, { sortKeys: false })).toBe('{"b":1,"a":2}');
  });

  it('writes Map number keys unquoted in fastjson mode and quoted in standard mode, sorted numerically', () => {
    const brokerAddrs = new Map<number, string>([
      [10, 'c:1'],
      [2, 'b:1'],
      [0, 'a:1'],
    ]);
    expect(stringifyJson({ brokerAddrs }, { fastjson: true })).toBe('{"brokerAddrs":{0:"a:1",2:"b:1",10:"c:1"}}');
    expect(stringifyJson({ brokerAddrs })).toBe('{"brokerAddrs":{"0":"a:1","2":"b:1","10":"c:1"}}');
    expect(stringifyJson(brokerAddrs, { sortKeys: false })).toBe('{"10":"c:1","2":"b:1","0":"a:1"}');
  });

  it('writes Map object keys as raw JSON objects (fastjson) or their quoted text (standard)', () => {
    const offsetTable = new Map([
      [
        { topic: 't', queueId: 0, brokerName: 'b' },
        { minOffset: 0, maxOffset: 5 },
      ],
    ]);
    expect(stringifyJson({ offsetTable }, { fastjson: true })).toBe(
      '{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"maxOffset":5,"minOffset":0}}}',
    );
    expect(stringifyJson({ offsetTable })).toBe(
      '{"offsetTable":{"{\\"brokerName\\":\\"b\\",\\"queueId\\":0,\\"topic\\":\\"t\\"}":{"maxOffset":5,"minOffset":0}}}',
    );
  });

  it('round-trips through parseJson, object keys included', () => {
    const value = new Map<unknown, unknown>([
      [{ brokerName: 'b', queueId: 1, topic: 't' }, 7],
      [3, 'x'],
    ]);
    for (const fastjson of [true, false]) {
      expect(parseJson(stringifyJson(value, { fastjson }))).toEqual({
        '3': 'x',
        '{"brokerName":"b","queueId":1,"topic":"t"}': 7,
      });
    }
  });

  it('writes bigints, dates, sets, escapes and non-finite numbers', () => {
    expect(
      stringifyJson({ big: 9007199254740993n, at: new Date(1700000000000), s: new Set(['a']), t: 'q"\n', n: NaN }),
    ).toBe('{"at":1700000000000,"big":9007199254740993,"n":null,"s":["a"],"t":"q\\"\\n"}');
    expect(stringifyJson(undefined)).toBe('null');
  });

  it('refuses cycles with a typed error instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => stringifyJson(cyclic)).toThrow(ProtocolError);
  });

  it('stringifyJsonBuffer is the UTF-8 bytes', () => {
    expect(stringifyJsonBuffer({ a: 'é' }).toString('hex')).toBe(Buffer.from('{"a":"é"}').toString('hex'));
  });
});
