/**
 * Byte layouts of RocketMQ 5.x's timer store (reference §6.4): the 52-byte TimerLog unit and the 32-byte TimerWheel
 * slot, both big-endian. Pure: encode into / decode from Buffers; decoders throw only ProtocolError.
 */
import { ProtocolError } from '../../common/errors.js';

/** Size of one TimerLog unit in bytes (also its first field). */
export const TIMER_LOG_UNIT_SIZE = 52;
/** Size of one TimerWheel slot in bytes. */
export const TIMER_WHEEL_SLOT_SIZE = 32;
/** Magic of a blank filler at the end of a TimerLog file (the CommitLog's blank magic). */
export const TIMER_BLANK_MAGIC = 0xcbd43194 | 0;
/** Seconds in a day. */
export const DAY_SECS = 86_400;
/** Slots of one wheel turn: 7 days of precision ticks; the file holds two turns. */
export const TIMER_WHEEL_SLOTS_TOTAL = 7 * DAY_SECS;

/** TimerLog unit magic bits. */
export const TimerMagic = {
  /** An ordinary pending timer. */
  DEFAULT: 1,
  /** Parked entry of a delay beyond the roll window: re-appended (rolled) when its slot fires. */
  ROLL: 2,
  /** A cancel record (TIMER_DEL_UNIQKEY). */
  DELETE: 4,
} as const;

/** One TimerLog unit. */
export interface TimerLogUnit {
  /** Position of the previous unit of the same slot, -1 for the first. */
  prevPos: number;
  /** TimerMagic bits. */
  magic: number;
  /** When the unit was written (ms). */
  writeTimeMs: number;
  /** Slot time − writeTimeMs (ms, signed 32-bit). */
  delayedTime: number;
  /** CommitLog offset of the message in the timer topic. */
  commitLogOffset: number;
  /** Size of that CommitLog record. */
  sizePy: number;
  /** Java String.hashCode of the real topic. */
  realTopicHash: number;
}

/** One TimerWheel slot. */
export interface TimerWheelSlot {
  /** Slot time / precision (seconds at the default precision); identifies which wheel turn the slot holds. */
  timeKey: number;
  /** Position of the slot's first unit in the TimerLog, -1 when none. */
  firstPos: number;
  /** Position of the slot's last unit (the chain head, walked backwards through prevPos), -1 when none. */
  lastPos: number;
  /** Units in the slot. */
  num: number;
  /** Reserved (Java writes 0). */
  magic: number;
}

const TWO_32 = 2 ** 32;

/** Writes a safe integer as a big-endian int64 without BigInt (the hot path writes millions of them). */
export function writeLong(target: Buffer, value: number, at: number): void {
  const hi = Math.floor(value / TWO_32);
  target.writeInt32BE(hi, at);
  target.writeUInt32BE(value - hi * TWO_32, at + 4);
}

/** Writes `unit` at `offset` of `target` (52 bytes). */
export function encodeTimerLogUnit(unit: TimerLogUnit, target: Buffer, offset = 0): void {
  target.writeInt32BE(TIMER_LOG_UNIT_SIZE, offset);
  writeLong(target, unit.prevPos, offset + 4);
  target.writeInt32BE(unit.magic, offset + 12);
  writeLong(target, unit.writeTimeMs, offset + 16);
  target.writeInt32BE(unit.delayedTime, offset + 24);
  writeLong(target, unit.commitLogOffset, offset + 28);
  target.writeInt32BE(unit.sizePy, offset + 36);
  target.writeInt32BE(unit.realTopicHash, offset + 40);
  target.writeInt32BE(0, offset + 44);
  target.writeInt32BE(0, offset + 48);
}

/** A big-endian int64 written by {@link writeLong}, as a number (no range check: for our own buffers). */
export function readLong(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
}

/** A big-endian int64 as a number; ProtocolError beyond ±2^53 (hi word outside ±2^21). */
function safeLong(buf: Buffer, at: number, field: string): number {
  const hi = buf.readInt32BE(at);
  if (hi >= 0x200000 || hi < -0x200000) {
    throw new ProtocolError('RECORD_MALFORMED', `timer ${field} out of range: ${buf.readBigInt64BE(at)}`);
  }
  return hi * TWO_32 + buf.readUInt32BE(at + 4);
}

/** Reads the unit at `offset`; ProtocolError RECORD_MALFORMED when short or its size field is not 52. */
export function decodeTimerLogUnit(buf: Buffer, offset = 0): TimerLogUnit {
  if (offset < 0 || buf.length - offset < TIMER_LOG_UNIT_SIZE) {
    throw new ProtocolError('RECORD_MALFORMED', `timer log unit needs ${TIMER_LOG_UNIT_SIZE} bytes`);
  }
  const size = buf.readInt32BE(offset);
  if (size !== TIMER_LOG_UNIT_SIZE) throw new ProtocolError('RECORD_MALFORMED', `timer log unit size ${size}`);
  return {
    prevPos: safeLong(buf, offset + 4, 'prevPos'),
    magic: buf.readInt32BE(offset + 12),
    writeTimeMs: safeLong(buf, offset + 16, 'writeTimeMs'),
    delayedTime: buf.readInt32BE(offset + 24),
    commitLogOffset: safeLong(buf, offset + 28, 'commitLogOffset'),
    sizePy: buf.readInt32BE(offset + 36),
    realTopicHash: buf.readInt32BE(offset + 40),
  };
}

/** Writes `slot` at `offset` of `target` (32 bytes). */
export function encodeWheelSlot(slot: TimerWheelSlot, target: Buffer, offset = 0): void {
  writeLong(target, slot.timeKey, offset);
  writeLong(target, slot.firstPos, offset + 8);
  writeLong(target, slot.lastPos, offset + 16);
  target.writeInt32BE(slot.num, offset + 24);
  target.writeInt32BE(slot.magic, offset + 28);
}

/** Reads the slot at `offset`; ProtocolError RECORD_MALFORMED when short. */
export function decodeWheelSlot(buf: Buffer, offset = 0): TimerWheelSlot {
  if (offset < 0 || buf.length - offset < TIMER_WHEEL_SLOT_SIZE) {
    throw new ProtocolError('RECORD_MALFORMED', `timer wheel slot needs ${TIMER_WHEEL_SLOT_SIZE} bytes`);
  }
  return {
    timeKey: safeLong(buf, offset, 'timeKey'),
    firstPos: safeLong(buf, offset + 8, 'firstPos'),
    lastPos: safeLong(buf, offset + 16, 'lastPos'),
    num: buf.readInt32BE(offset + 24),
    magic: buf.readInt32BE(offset + 28),
  };
}

/** Java's String.hashCode (UTF-16 code units, 32-bit wrap). */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
