import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTimerLogUnit,
  decodeWheelSlot,
  encodeTimerLogUnit,
  encodeWheelSlot,
  javaStringHash,
  TIMER_LOG_UNIT_SIZE,
  TIMER_WHEEL_SLOT_SIZE,
  TimerMagic,
} from '../../../src/broker/timer/timer-format.js';
import { ProtocolError } from '../../../src/common/errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+|#[^\n]*/g, ''), 'hex');

// TimerLog unit, reference §6.4, big-endian, 52 bytes
const UNIT_GOLDEN = hex(`
  00000034                 # int32 size = 52
  ffffffffffffffff         # int64 prevPos = -1
  00000003                 # int32 magic = 1 default | 2 roll
  0000018bcfe56800         # int64 writeTimeMs = 1700000000000
  00001388                 # int32 delayedTime = 5000
  000000000000107b         # int64 commitLogOffset = 4219
  000000c8                 # int32 sizePy = 200
  05e918d2                 # int32 realTopicHash = 99162322 ("hello".hashCode())
  0000000000000000         # int64 reserved
`);

// TimerWheel slot, reference §6.4, 32 bytes
const SLOT_GOLDEN = hex(`
  000000006553f105         # int64 timeSecs = 1700000005 (time / precision 1000)
  0000000000000034         # int64 firstPos = 52
  0000000000000068         # int64 lastPos = 104
  00000002                 # int32 num = 2
  00000000                 # int32 magic
`);

describe('TimerLog unit layout', () => {
  const unit = {
    prevPos: -1,
    magic: TimerMagic.DEFAULT | TimerMagic.ROLL,
    writeTimeMs: 1_700_000_000_000,
    delayedTime: 5000,
    commitLogOffset: 4219,
    sizePy: 200,
    realTopicHash: javaStringHash('hello'),
  };

  it('encodes the hand-written bytes', () => {
    expect(UNIT_GOLDEN.length).toBe(TIMER_LOG_UNIT_SIZE);
    const buf = Buffer.alloc(TIMER_LOG_UNIT_SIZE);
    encodeTimerLogUnit(unit, buf);
    expect(buf.toString('hex')).toBe(UNIT_GOLDEN.toString('hex'));
  });

  it('decodes the hand-written bytes', () => {
    expect(decodeTimerLogUnit(UNIT_GOLDEN)).toEqual(unit);
  });

  it('rejects short input and a wrong size field with ProtocolError', () => {
    expect(() => decodeTimerLogUnit(UNIT_GOLDEN.subarray(0, 51))).toThrow(ProtocolError);
    const bad = Buffer.from(UNIT_GOLDEN);
    bad.writeInt32BE(53, 0);
    expect(() => decodeTimerLogUnit(bad)).toThrow(ProtocolError);
  });

  it('round-trips random units and never throws anything but ProtocolError on random bytes', () => {
    const long = fc.integer({ min: -(2 ** 52), max: 2 ** 52 });
    const int = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    fc.assert(
      fc.property(
        fc.record({
          prevPos: long,
          magic: int,
          writeTimeMs: long,
          delayedTime: int,
          commitLogOffset: long,
          sizePy: int,
          realTopicHash: int,
        }),
        (u) => {
          const buf = Buffer.alloc(TIMER_LOG_UNIT_SIZE + 3);
          encodeTimerLogUnit(u, buf, 3);
          expect(decodeTimerLogUnit(buf, 3)).toEqual(u);
        },
      ),
      { numRuns: 200, seed: 42 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: -5, max: 130 }), (bytes, offset) => {
        try {
          decodeTimerLogUnit(Buffer.from(bytes), offset);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('TimerWheel slot layout', () => {
  const slot = { timeKey: 1_700_000_005, firstPos: 52, lastPos: 104, num: 2, magic: 0 };

  it('encodes and decodes the hand-written bytes', () => {
    expect(SLOT_GOLDEN.length).toBe(TIMER_WHEEL_SLOT_SIZE);
    const buf = Buffer.alloc(TIMER_WHEEL_SLOT_SIZE);
    encodeWheelSlot(slot, buf);
    expect(buf.toString('hex')).toBe(SLOT_GOLDEN.toString('hex'));
    expect(decodeWheelSlot(SLOT_GOLDEN)).toEqual(slot);
  });

  it('rejects short input with ProtocolError, also under fuzzing', () => {
    expect(() => decodeWheelSlot(SLOT_GOLDEN.subarray(1))).toThrow(ProtocolError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.integer({ min: -3, max: 70 }), (bytes, offset) => {
        try {
          expect(decodeWheelSlot(Buffer.from(bytes), offset).num).toBeTypeOf('number');
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('javaStringHash', () => {
  it("matches Java's String.hashCode", () => {
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('a')).toBe(97);
    expect(javaStringHash('hello')).toBe(99162322);
    // wraps to a negative int like Java
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648);
  });
});
