import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/common/errors.js';
import {
  createOffsetMsgId,
  decodeOffsetMsgId,
  UniqueIdGenerator,
  uniqIdTimestamp,
} from '../../../src/protocol/message/message-id.js';

describe('offset message id', () => {
  it('encodes an IPv4 store host (worked by hand)', () => {
    const id = createOffsetMsgId({ host: '192.168.1.2', port: 10911 }, 4096);
    // C0A80102 = 192.168.1.2 | 00002A9F = port 10911 | 0000000000001000 = offset 4096
    expect(id).toBe('C0A8010200002A9F0000000000001000');
    expect(decodeOffsetMsgId(id)).toEqual({ storeHost: { host: '192.168.1.2', port: 10911 }, physicalOffset: 4096 });
    expect(decodeOffsetMsgId(id.toLowerCase()).physicalOffset).toBe(4096);
  });

  it('encodes an IPv6 store host (worked by hand)', () => {
    const id = createOffsetMsgId({ host: '2001:db8::1', port: 10911 }, 0x123456789a);
    // 20010DB8000000000000000000000001 = 2001:db8::1 | 00002A9F = 10911 | 000000123456789A = offset
    expect(id).toBe('20010DB8000000000000000000000001' + '00002A9F' + '000000123456789A');
    expect(id).toHaveLength(56);
    expect(decodeOffsetMsgId(id)).toEqual({
      storeHost: { host: '2001:db8::1', port: 10911 },
      physicalOffset: 0x123456789a,
    });
  });

  it('keeps ids right across hosts, a host object changed in place, and offsets up to 2^53 - 1 and below 0', () => {
    const host = { host: '10.0.0.1', port: 10911 };
    // 0A000001 = 10.0.0.1 | 00002A9F = 10911 | 001FFFFFFFFFFFFF = 2^53 - 1
    expect(createOffsetMsgId(host, Number.MAX_SAFE_INTEGER)).toBe('0A00000100002A9F001FFFFFFFFFFFFF');
    // 0A000002 = 10.0.0.2 | 00000050 = 80 | 00000001FFFFFFFF = 2^33 - 1 (both 32-bit halves)
    expect(createOffsetMsgId({ host: '10.0.0.2', port: 80 }, 2 ** 33 - 1)).toBe(
      '0A00000200000050' + '00000001FFFFFFFF',
    );
    host.port = 10912; // 00002AA0
    expect(createOffsetMsgId(host, 255)).toBe('0A00000100002AA000000000000000FF');
    host.host = '10.0.0.3';
    expect(createOffsetMsgId(host, 0)).toBe('0A00000300002AA00000000000000000');
    // FFFFFFFFFFFFFFFF = -1 as int64
    expect(createOffsetMsgId(host, -1)).toBe('0A00000300002AA0FFFFFFFFFFFFFFFF');
  });

  it('rejects bad ids with MESSAGE_ID_MALFORMED', () => {
    for (const bad of [
      '',
      'C0A80102',
      'Z0A8010200002A9F0000000000001000',
      'C0A8010200002A9F7FFFFFFFFFFFFFFF',
      `${'0'.repeat(32)}0`,
    ]) {
      expect(() => decodeOffsetMsgId(bad)).toThrow(expect.objectContaining({ code: 'MESSAGE_ID_MALFORMED' }));
    }
  });

  it('decodeOffsetMsgId throws only ProtocolError on arbitrary strings', () => {
    const hexish = fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFabcdefxyz '.split('')), maxLength: 60 });
    fc.assert(
      fc.property(fc.oneof(hexish, fc.string()), (s) => {
        try {
          const { storeHost, physicalOffset } = decodeOffsetMsgId(s);
          expect(createOffsetMsgId(storeHost, physicalOffset)).toBe(s.toUpperCase());
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('UniqueIdGenerator', () => {
  it('lays out ip | pid | random | ms since month start | counter', () => {
    const now = new Date(2024, 4, 10, 12, 0, 0, 5).getTime();
    const gen = new UniqueIdGenerator({ ip: '10.0.0.1', pid: 0x51234, now: () => now });
    const first = gen.next();
    const second = gen.next();
    expect(first).toMatch(/^[0-9A-F]{32}$/);
    expect(first.slice(0, 8)).toBe('0A000001'); // ip
    expect(first.slice(8, 12)).toBe('1234'); // pid low 16 bits
    const sinceMonthStart = now - new Date(2024, 4, 1).getTime();
    expect(first.slice(20, 28)).toBe(sinceMonthStart.toString(16).toUpperCase().padStart(8, '0'));
    expect(first.slice(28)).toBe('0000'); // counter
    expect(second.slice(28)).toBe('0001');
    expect(second.slice(0, 28)).toBe(first.slice(0, 28));
    expect(uniqIdTimestamp(first, now + 60_000)).toBe(now);
  });

  it('uses 16 IP bytes for IPv6 and wraps the counter', () => {
    let id = '';
    const gen = new UniqueIdGenerator({ ip: '::1' });
    for (let i = 0; i <= 0x10000; i++) id = gen.next();
    expect(id).toHaveLength(56);
    expect(id.slice(0, 32)).toBe('00000000000000000000000000000001');
    expect(id.slice(52)).toBe('0000'); // 65537th id: counter wrapped to 0
  });

  it('reads a time from the previous month when the offset would lie in the future', () => {
    const born = new Date(2024, 4, 31, 23, 0, 0, 0).getTime();
    const id = new UniqueIdGenerator({ ip: '10.0.0.1', now: () => born }).next();
    expect(uniqIdTimestamp(id, new Date(2024, 5, 1, 1, 0, 0, 0).getTime())).toBe(born);
    expect(() => uniqIdTimestamp('nope')).toThrow(ProtocolError);
  });
});
