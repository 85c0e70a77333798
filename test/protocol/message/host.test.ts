import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, RocketMQError } from '../../../src/common/errors.js';
import {
  decodeHost,
  encodeHost,
  isIPv6,
  normalizeHost,
  parseHostAddress,
  parseIp,
} from '../../../src/protocol/message/host.js';

describe('host addresses', () => {
  it('encodes IPv4 as 4 bytes + int32 port', () => {
    const buf = Buffer.alloc(8);
    expect(encodeHost({ host: '192.168.1.2', port: 10911 }, buf, 0)).toBe(8);
    expect(buf.toString('hex')).toBe('c0a80102' + '00002a9f');
    expect(decodeHost(buf, 0, false)).toEqual({ host: '192.168.1.2', port: 10911 });
  });

  it('encodes IPv6 as 16 bytes + int32 port and decodes to RFC 5952 text', () => {
    const buf = Buffer.alloc(20);
    expect(encodeHost({ host: 'FE80:0:0:0:0:0:0:1%eth0', port: 1234 }, buf, 0)).toBe(20);
    expect(buf.toString('hex')).toBe('fe800000000000000000000000000001' + '000004d2');
    expect(decodeHost(buf, 0, true)).toEqual({ host: 'fe80::1', port: 1234 });
    encodeHost({ host: '::ffff:10.0.0.1', port: 1 }, buf, 0);
    expect(buf.subarray(0, 16).toString('hex')).toBe('00000000000000000000ffff0a000001');
    expect(decodeHost(buf, 0, true).host).toBe('::ffff:10.0.0.1');
    encodeHost({ host: '1:0:0:2:0:0:0:3', port: 1 }, buf, 0);
    expect(decodeHost(buf, 0, true).host).toBe('1:0:0:2::3');
  });

  it('classifies and normalizes', () => {
    expect(isIPv6('::1')).toBe(true);
    expect(isIPv6('127.0.0.1')).toBe(false);
    expect(normalizeHost('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeHost('fe80::1%lo')).toBe('fe80::1');
    expect(parseHostAddress('10.0.0.1:10911')).toEqual({ host: '10.0.0.1', port: 10911 });
    expect(parseHostAddress('[::1]:9876')).toEqual({ host: '::1', port: 9876 });
    expect(parseHostAddress('nohost')).toBeUndefined();
  });

  it('parseIp hands out copies, so a caller cannot corrupt later encodings', () => {
    parseIp('10.9.8.7')!.fill(0);
    const buf = Buffer.alloc(8);
    encodeHost({ host: '10.9.8.7', port: 0 }, buf, 0);
    expect(buf.subarray(0, 4).toString('hex')).toBe('0a090807');
  });

  it('rejects what is not an IP address', () => {
    const buf = Buffer.alloc(20);
    for (const host of ['localhost', '1.2.3', '1.2.3.256', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9']) {
      expect(() => encodeHost({ host, port: 1 }, buf, 0)).toThrow(RocketMQError);
    }
    expect(() => decodeHost(Buffer.alloc(7), 0, false)).toThrow(ProtocolError);
  });

  it('round-trips any 16 address bytes and generated IPv6 text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.ipV6(), (bytes, text) => {
        const raw = Buffer.concat([Buffer.from(bytes), Buffer.from('00000001', 'hex')]);
        const again = Buffer.alloc(20);
        encodeHost(decodeHost(raw, 0, true), again, 0);
        expect(again).toEqual(raw);
        const a = Buffer.alloc(20);
        const b = Buffer.alloc(20);
        encodeHost({ host: text, port: 2 }, a, 0);
        encodeHost(decodeHost(a, 0, true), b, 0);
        expect(b).toEqual(a);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
