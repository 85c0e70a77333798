import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineSchema, formatConfig, parseProperties, resolveConfig } from '../../src/common/config.js';
import { RocketMQError } from '../../src/common/errors.js';

describe('parseProperties', () => {
  it('reads the separators, comments, continuations and escapes of Java properties', () => {
    const text = [
      '# a comment',
      '! another comment',
      'brokerClusterName = DefaultCluster',
      'brokerName:broker-a',
      'brokerId 0',
      '   namesrvAddr=127.0.0.1:9876;\\',
      '      127.0.0.2:9876',
      'path=C\\:\\\\data\\tx',
      'unicode=\\u00e9t\\u00e9',
      'empty=',
      'key\\ with\\ space=v',
      '',
    ].join('\n');
    const props = parseProperties(text);
    expect(Object.fromEntries(props)).toEqual({
      brokerClusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerId: '0',
      namesrvAddr: '127.0.0.1:9876;127.0.0.2:9876',
      path: 'C:\\data\tx',
      unicode: 'été',
      empty: '',
      'key with space': 'v',
    });
  });

  it('lets a later key win and accepts CRLF line ends', () => {
    expect(parseProperties('a=1\r\na=2\r\n').get('a')).toBe('2');
  });
});

describe('resolveConfig', () => {
  const schema = defineSchema({
    listenPort: { type: 'int', default: 9876, min: 0, max: 65535, doc: 'port' },
    name: { type: 'string', default: 'x', doc: 'name' },
    enabled: { type: 'bool', default: false, doc: 'flag' },
    mode: { type: 'enum', values: ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const, default: 'ASYNC_FLUSH', doc: 'flush' },
    size: { type: 'long', default: 1073741824, doc: 'bytes' },
  });

  it('overlays defaults with typed values and reports unknown keys', () => {
    const unknown: string[] = [];
    const cfg = resolveConfig(
      schema,
      parseProperties('listenPort=10911\nenabled=true\nmode=SYNC_FLUSH\nsomethingElse=1\n'),
      { onUnknownKey: (k) => unknown.push(k) },
    );
    expect(cfg).toEqual({ listenPort: 10911, name: 'x', enabled: true, mode: 'SYNC_FLUSH', size: 1073741824 });
    expect(unknown).toEqual(['somethingElse']);
    // Literal defaults must not narrow the value types.
    expectTypeOf(cfg.listenPort).toEqualTypeOf<number>();
    expectTypeOf(cfg.enabled).toEqualTypeOf<boolean>();
    expectTypeOf(cfg.name).toEqualTypeOf<string>();
    expectTypeOf(cfg.mode).toEqualTypeOf<'ASYNC_FLUSH' | 'SYNC_FLUSH'>();
  });

  it.each([
    ['listenPort', 'abc', /listenPort.*expected a number/],
    ['listenPort', '70000', /listenPort.*above the maximum 65535/],
    ['listenPort', '1.5', /listenPort.*integer/],
    ['enabled', 'yes', /enabled.*true or false/],
    ['mode', 'FAST', /mode.*one of ASYNC_FLUSH, SYNC_FLUSH/],
    ['size', '99999999999999999999', /size.*integer/],
  ])('rejects %s=%s naming the key', (key, value, message) => {
    let caught: unknown;
    try {
      resolveConfig(schema, new Map([[key, value]]), { source: 'broker.conf' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RocketMQError);
    expect((caught as RocketMQError).code).toBe('CONFIG_INVALID');
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toContain('broker.conf');
  });

  it('formats the effective configuration as properties text that parses back', () => {
    const cfg = resolveConfig(schema, { listenPort: 1234 });
    const text = formatConfig(schema, cfg);
    expect(text).toBe('listenPort=1234\nname=x\nenabled=false\nmode=ASYNC_FLUSH\nsize=1073741824\n');
    expect(resolveConfig(schema, parseProperties(text))).toEqual(cfg);
  });
});
