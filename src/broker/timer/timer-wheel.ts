/**
 * The TimerWheel (`<root>/timerwheel`): `2 × slotsTotal` slots of 32 bytes (timer-format.ts), slot index =
 * (slotMs / precision) mod slots. Each slot names the first and last TimerLog unit of one tick and how many there
 * are; the units chain backwards through prevPos. The whole wheel (38.7 MB at the default size) is one Buffer, written
 * to the file slot by slot (or whole when much changed) at each flush. Its size does not depend on the number of
 * pending timers.
 */
import * as fs from 'node:fs';
import { encodeWheelSlot, readLong, TIMER_WHEEL_SLOT_SIZE, TIMER_WHEEL_SLOTS_TOTAL } from './timer-format.js';

/** Past this many changed slots a flush rewrites the whole file. */
const WHOLE_FILE_THRESHOLD = 4096;

/** A slot's live content. */
export interface WheelEntry {
  firstPos: number;
  lastPos: number;
  num: number;
}

/** The in-memory wheel and its file; see the module comment. */
export class TimerWheel {
  private readonly buf: Buffer;
  private readonly dirty = new Set<number>();
  private wholeDirty = true;
  private handle: fs.promises.FileHandle | undefined;

  constructor(
    private readonly path: string,
    private readonly precisionMs: number,
    /** Slots in the file: 2 × 7 days of ticks by default. */
    readonly slots = 2 * TIMER_WHEEL_SLOTS_TOTAL,
  ) {
    this.buf = Buffer.alloc(slots * TIMER_WHEEL_SLOT_SIZE);
  }

  /** Opens (creates) the file. The content is rebuilt by the caller, so the old bytes are not read. */
  async open(): Promise<void> {
    this.handle = await fs.promises.open(this.path, fs.constants.O_RDWR | fs.constants.O_CREAT);
  }

  private indexOf(slotMs: number): number {
    const key = Math.floor(slotMs / this.precisionMs);
    return ((key % this.slots) + this.slots) % this.slots;
  }

  /** The slot of `slotMs`, undefined when empty or holding another wheel turn. */
  get(slotMs: number): WheelEntry | undefined {
    const at = this.indexOf(slotMs) * TIMER_WHEEL_SLOT_SIZE;
    const num = this.buf.readInt32BE(at + 24);
    if (num <= 0 || readLong(this.buf, at) !== Math.floor(slotMs / this.precisionMs)) return undefined;
    return { firstPos: readLong(this.buf, at + 8), lastPos: readLong(this.buf, at + 16), num };
  }

  /** Appends a unit at `pos` to the slot of `slotMs`; returns the unit's prevPos (-1 when first). */
  link(slotMs: number, pos: number): number {
    const entry = this.get(slotMs);
    const timeKey = Math.floor(slotMs / this.precisionMs);
    const index = this.indexOf(slotMs);
    if (entry) {
      encodeWheelSlot(
        { timeKey, firstPos: entry.firstPos, lastPos: pos, num: entry.num + 1, magic: 0 },
        this.buf,
        index * TIMER_WHEEL_SLOT_SIZE,
      );
    } else {
      encodeWheelSlot(
        { timeKey, firstPos: pos, lastPos: pos, num: 1, magic: 0 },
        this.buf,
        index * TIMER_WHEEL_SLOT_SIZE,
      );
    }
    this.markDirty(index);
    return entry ? entry.lastPos : -1;
  }

  /** Empties the slot of `slotMs` (after its units were taken). */
  clear(slotMs: number): void {
    const index = this.indexOf(slotMs);
    this.buf.fill(0, index * TIMER_WHEEL_SLOT_SIZE, (index + 1) * TIMER_WHEEL_SLOT_SIZE);
    this.markDirty(index);
  }

  private markDirty(index: number): void {
    if (this.wholeDirty) return;
    this.dirty.add(index);
    if (this.dirty.size > WHOLE_FILE_THRESHOLD) {
      this.wholeDirty = true;
      this.dirty.clear();
    }
  }

  /** Writes changed slots (or the whole wheel) and fdatasyncs. */
  async flush(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    if (this.wholeDirty) {
      this.wholeDirty = false;
      await handle.write(this.buf, 0, this.buf.length, 0);
    } else {
      if (this.dirty.size === 0) return;
      const indexes = [...this.dirty].sort((a, b) => a - b);
      this.dirty.clear();
      let i = 0;
      while (i < indexes.length) {
        let j = i + 1;
        while (j < indexes.length && indexes[j] === indexes[j - 1]! + 1) j++;
        const from = indexes[i]! * TIMER_WHEEL_SLOT_SIZE;
        const to = (indexes[j - 1]! + 1) * TIMER_WHEEL_SLOT_SIZE;
        await handle.write(this.buf, from, to - from, from);
        i = j;
      }
    }
    await handle.datasync();
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }
}
