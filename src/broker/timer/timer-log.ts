/**
 * The TimerLog (`<root>/timerlog/`): an append-only sequence of 52-byte units (timer-format.ts) in files named by
 * their 20-digit start position, like the CommitLog. A unit never spans two files: the tail of a file too short for
 * one gets a blank marker (size, TIMER_BLANK_MAGIC) and the next unit starts the next file.
 *
 * Positions are assigned synchronously ({@link TimerLog.reserve}) so the caller can chain units before the bytes
 * are written; reads go through a small block cache, so walking a slot's chain costs a few large reads, not one
 * read per unit.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import {
  decodeTimerLogUnit,
  encodeTimerLogUnit,
  TIMER_BLANK_MAGIC,
  TIMER_LOG_UNIT_SIZE,
  type TimerLogUnit,
} from './timer-format.js';

/** Bytes of one cached read block: a whole number of units (unit positions in a file are multiples of 52). */
const BLOCK_SIZE = TIMER_LOG_UNIT_SIZE * 1260;
/** Blocks kept (4 MiB). */
const MAX_BLOCKS = 64;
/** Bytes of one read of {@link TimerLog.range} (whole units, ~1 MiB). */
const RANGE_CHUNK = TIMER_LOG_UNIT_SIZE * 20_000;
/** Bytes read per step of a sequential scan. */
const SCAN_CHUNK = 4 * 1024 * 1024;

interface LogFile {
  start: number;
  handle: fs.promises.FileHandle;
  /** Written since the last flush. */
  dirty: boolean;
}

/** A unit with where it lives. */
export interface PositionedUnit {
  pos: number;
  unit: TimerLogUnit;
}

/** The timer log files of one directory; see the module comment. */
export class TimerLog {
  private readonly files = new Map<number, LogFile>();
  private readonly blocks = new Map<number, Buffer>();
  private nextPos = 0;
  private readonly usable: number;

  constructor(
    private readonly dir: string,
    private readonly fileSize: number,
  ) {
    this.usable = Math.floor(fileSize / TIMER_LOG_UNIT_SIZE) * TIMER_LOG_UNIT_SIZE;
  }

  /** Position the next unit gets. */
  get writePos(): number {
    return this.nextPos;
  }

  /** Start of the oldest file kept (where a scan begins). */
  get minPos(): number {
    let min = this.nextPos;
    for (const start of this.files.keys()) min = Math.min(min, start);
    return min;
  }

  /** Start positions of the files, oldest first. */
  fileStarts(): number[] {
    return [...this.files.keys()].sort((a, b) => a - b);
  }

  /** Size of one file. */
  get segmentSize(): number {
    return this.fileSize;
  }

  /**
   * Opens the directory and cuts everything at or after `validEnd` (units written after the last checkpoint are
   * re-created from the timer topic's queue). `validEnd` 0 with no files starts empty.
   */
  async open(validEnd: number): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    const names = (await fs.promises.readdir(this.dir)).filter((n) => /^\d{20}$/.test(n)).sort();
    for (const name of names) {
      const start = Number(name);
      const path = join(this.dir, name);
      if (start >= validEnd) {
        await fs.promises.rm(path, { force: true });
        continue;
      }
      const handle = await fs.promises.open(path, 'r+');
      const end = Math.min(validEnd - start, this.fileSize);
      const stat = await handle.stat();
      if (stat.size > end) await handle.truncate(end);
      this.files.set(start, { start, handle, dirty: false });
    }
    this.nextPos = validEnd;
  }

  private fileStartOf(pos: number): number {
    return pos - (pos % this.fileSize);
  }

  /**
   * Assigns positions to `count` units, skipping to the next file when the current one is full. Returns them in
   * order. The caller writes the units with {@link write} before anyone reads them.
   */
  reserve(count: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      let offset = this.nextPos % this.fileSize;
      if (offset + TIMER_LOG_UNIT_SIZE > this.usable) {
        this.nextPos += this.fileSize - offset;
        offset = 0;
      }
      out.push(this.nextPos);
      this.nextPos += TIMER_LOG_UNIT_SIZE;
    }
    return out;
  }

  /** Writes units at the positions {@link reserve} gave them (consecutive runs become one write per file). */
  async write(units: readonly PositionedUnit[]): Promise<void> {
    let i = 0;
    while (i < units.length) {
      const start = this.fileStartOf(units[i]!.pos);
      let j = i + 1;
      while (j < units.length && this.fileStartOf(units[j]!.pos) === start) j++;
      const first = units[i]!.pos;
      const last = units[j - 1]!.pos;
      const buf = Buffer.alloc(last - first + TIMER_LOG_UNIT_SIZE);
      for (let k = i; k < j; k++) encodeTimerLogUnit(units[k]!.unit, buf, units[k]!.pos - first);
      const file = await this.fileAt(start);
      // a file that fills up gets its blank marker with its last units
      if (last - start + TIMER_LOG_UNIT_SIZE === this.usable) {
        await this.writeBlankTail(file);
      }
      await file.handle.write(buf, 0, buf.length, first - start);
      file.dirty = true;
      i = j;
    }
  }

  private async writeBlankTail(file: LogFile): Promise<void> {
    const remaining = this.fileSize - this.usable;
    if (remaining < 8) return;
    const blank = Buffer.alloc(8);
    blank.writeInt32BE(remaining, 0);
    blank.writeInt32BE(TIMER_BLANK_MAGIC, 4);
    await file.handle.write(blank, 0, 8, this.usable);
  }

  private async fileAt(start: number): Promise<LogFile> {
    let file = this.files.get(start);
    if (!file) {
      const path = join(this.dir, String(start).padStart(20, '0'));
      const handle = await fs.promises.open(path, fs.constants.O_RDWR | fs.constants.O_CREAT);
      file = { start, handle, dirty: false };
      this.files.set(start, file);
    }
    return file;
  }

  /** The unit at `pos` (through the block cache). */
  async read(pos: number): Promise<TimerLogUnit> {
    const start = this.fileStartOf(pos);
    const offset = pos - start;
    const blockOffset = offset - (offset % BLOCK_SIZE);
    const key = start + blockOffset;
    let block = this.blocks.get(key);
    if (!block || block.length < offset - blockOffset + TIMER_LOG_UNIT_SIZE) {
      const file = this.files.get(start);
      if (!file) throw new Error(`timer log position ${pos} is not in any file`);
      const buf = Buffer.alloc(Math.min(BLOCK_SIZE, this.fileSize - blockOffset));
      const { bytesRead } = await file.handle.read(buf, 0, buf.length, blockOffset);
      block = buf.subarray(0, bytesRead);
      this.blocks.delete(key);
      this.blocks.set(key, block);
      if (this.blocks.size > MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number);
    }
    return decodeTimerLogUnit(block, offset - blockOffset);
  }

  /** The units in [from, to), in order, in batches of large reads (skipping file tails). */
  async *range(from: number, to: number): AsyncGenerator<PositionedUnit[]> {
    const buf = Buffer.alloc(RANGE_CHUNK);
    let pos = from;
    while (pos < to) {
      const start = this.fileStartOf(pos);
      const usableEnd = start + this.usable;
      if (pos >= usableEnd) {
        pos = start + this.fileSize;
        continue;
      }
      const file = this.files.get(start);
      if (!file) throw new Error(`timer log position ${pos} is not in any file`);
      const want = Math.min(buf.length, Math.min(to, usableEnd) - pos);
      const { bytesRead } = await file.handle.read(buf, 0, want, pos - start);
      const whole = bytesRead - (bytesRead % TIMER_LOG_UNIT_SIZE);
      if (whole === 0) throw new Error(`timer log ends early at ${pos}`);
      const out: PositionedUnit[] = [];
      for (let at = 0; at < whole; at += TIMER_LOG_UNIT_SIZE)
        out.push({ pos: pos + at, unit: decodeTimerLogUnit(buf, at) });
      yield out;
      pos += whole;
    }
  }

  /** Calls `visit` for every unit in [minPos, end), in order; stops at a blank marker or a short tail per file. */
  async scan(end: number, visit: (pos: number, unit: TimerLogUnit) => void): Promise<void> {
    const buf = Buffer.alloc(SCAN_CHUNK - (SCAN_CHUNK % TIMER_LOG_UNIT_SIZE));
    files: for (const start of this.fileStarts()) {
      const file = this.files.get(start)!;
      const limit = Math.min(this.usable, end - start);
      let offset = 0;
      while (offset < limit) {
        const want = Math.min(buf.length, limit - offset);
        const { bytesRead } = await file.handle.read(buf, 0, want, offset);
        const whole = bytesRead - (bytesRead % TIMER_LOG_UNIT_SIZE);
        for (let at = 0; at < whole; at += TIMER_LOG_UNIT_SIZE) {
          if (buf.readInt32BE(at) !== TIMER_LOG_UNIT_SIZE) continue files;
          visit(start + offset + at, decodeTimerLogUnit(buf, at));
        }
        if (whole < want || whole === 0) break;
        offset += whole;
      }
    }
  }

  /** fdatasync of every file written since the last flush. */
  async flush(): Promise<void> {
    for (const file of this.files.values()) {
      if (!file.dirty) continue;
      file.dirty = false;
      await file.handle.datasync();
    }
  }

  /** Deletes files that end at or before `pos`, except the file being written. Returns how many. */
  async deleteFilesBefore(pos: number): Promise<number> {
    let deleted = 0;
    const current = this.fileStartOf(this.nextPos);
    for (const start of this.fileStarts()) {
      if (start + this.fileSize > pos || start >= current) break;
      const file = this.files.get(start)!;
      this.files.delete(start);
      for (const key of [...this.blocks.keys()])
        if (key >= start && key < start + this.fileSize) this.blocks.delete(key);
      await file.handle.close();
      await fs.promises.rm(join(this.dir, String(start).padStart(20, '0')), { force: true });
      deleted++;
    }
    return deleted;
  }

  /** Closes every file. */
  async close(): Promise<void> {
    for (const file of this.files.values()) await file.handle.close().catch(() => undefined);
    this.files.clear();
    this.blocks.clear();
  }
}
