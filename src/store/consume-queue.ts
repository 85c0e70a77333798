import * as fs from 'node:fs';
import * as path from 'node:path';
import { SegmentedLog } from './segmented-log.js';

/** Bytes of one ConsumeQueue entry: int64 CommitLog offset, int32 size, int64 tags hash code (reference §5.7). */
export const CQ_ENTRY_SIZE = 20;
/** Size field of the pre-fill entry written when a queue starts in the middle of a file. */
export const CQ_BLANK_SIZE = 0x7fffffff;

/** One decoded ConsumeQueue entry. */
export interface ConsumeQueueEntry {
  phyOffset: number;
  size: number;
  tagsCode: number;
}

/** Writes one 20-byte entry at `off`. */
export function encodeConsumeQueueEntry(buf: Buffer, off: number, entry: ConsumeQueueEntry): void {
  writeLong(buf, entry.phyOffset, off);
  buf.writeInt32BE(entry.size, off + 8);
  writeLong(buf, entry.tagsCode, off + 12);
}

/** Reads the entry at `off` (the caller guarantees 20 bytes are there). */
export function decodeConsumeQueueEntry(buf: Buffer, off: number): ConsumeQueueEntry {
  return {
    phyOffset: readLong(buf, off),
    size: buf.readInt32BE(off + 8),
    tagsCode: readLong(buf, off + 12),
  };
}

/**
 * Writes an integer (|n| < 2^53) as a big-endian int64 without a BigInt: the high half is floor(n / 2^32) (two's
 * complement for negative n), the low half n mod 2^32, which `>>> 0` gives for any safe integer. Byte stores, no
 * range checks: it runs for every ConsumeQueue entry and index item.
 */
export function writeLong(buf: Buffer, n: number, off: number): void {
  writeInt(buf, Math.floor(n / 0x100000000), off);
  writeInt(buf, n >>> 0, off + 4);
}

/** Writes the low 32 bits of `n` big-endian (Uint8Array stores keep the low 8 bits of each shifted value). */
export function writeInt(buf: Buffer, n: number, off: number): void {
  buf[off] = n >>> 24;
  buf[off + 1] = n >>> 16;
  buf[off + 2] = n >>> 8;
  buf[off + 3] = n;
}

/** Reads a big-endian int64 as a number (exact below 2^53). */
export function readLong(buf: Buffer, off: number): number {
  return buf.readInt32BE(off) * 0x100000000 + buf.readUInt32BE(off + 4);
}

/**
 * The ConsumeQueue of one topic and queue id: `<root>/consumequeue/<topic>/<queueId>/<20-digit byte offset>`, a
 * fixed array of 20-byte entries where logical offset N sits at byte N*20.
 */
export class ConsumeQueue {
  readonly topic: string;
  readonly queueId: number;
  readonly dir: string;
  readonly log: SegmentedLog;
  /** Smallest logical offset whose message may still be in the CommitLog. */
  minLogicOffset = 0;

  constructor(consumeQueueRoot: string, topic: string, queueId: number, fileSize: number) {
    this.topic = topic;
    this.queueId = queueId;
    this.dir = path.join(consumeQueueRoot, topic, String(queueId));
    const chunkSize = Math.min(fileSize, CQ_ENTRY_SIZE * 4096);
    this.log = new SegmentedLog(this.dir, { segmentSize: fileSize, chunkSize, keepChunks: 2 });
  }

  /** Logical offset the next message gets (one past the last entry). */
  get maxOffset(): number {
    return Math.floor(this.log.writePos / CQ_ENTRY_SIZE);
  }

  /**
   * Opens the files and finds the last valid entry: the first empty entry of the last file ends the queue. A last
   * file with no entry at all (created just before a crash) is dropped and the one before it examined.
   */
  load(): void {
    this.log.load();
    for (;;) {
      const last = this.log.segments.at(-1);
      if (!last) break;
      const data = Buffer.alloc(last.size);
      fs.readSync(last.fd, data, 0, last.size, 0);
      let end = 0;
      while (end + CQ_ENTRY_SIZE <= data.length && data.readInt32BE(end + 8) > 0) end += CQ_ENTRY_SIZE;
      if (end === 0 && this.log.segments.length > 1) {
        this.log.truncate(last.fromOffset);
        continue;
      }
      this.log.truncate(last.fromOffset + end);
      break;
    }
    this.minLogicOffset = Math.floor(this.log.minOffset / CQ_ENTRY_SIZE);
  }

  /**
   * Appends the entry for logical offset `logicOffset`. A gap before it is pre-filled with blank entries; an offset
   * already present is ignored (re-dispatch during recovery). Returns whether the entry was written.
   */
  put(logicOffset: number, phyOffset: number, size: number, tagsCode: number): boolean {
    const pos = logicOffset * CQ_ENTRY_SIZE;
    if (pos < this.log.writePos) return false;
    if (this.log.segments.length === 0 && this.log.writePos === 0 && pos > 0) {
      const start = pos - (pos % this.log.options.segmentSize);
      this.log.setWritePosition(start);
      this.minLogicOffset = Math.floor(start / CQ_ENTRY_SIZE);
    }
    while (this.log.writePos < pos) this.append(0, CQ_BLANK_SIZE, 0);
    this.append(phyOffset, size, tagsCode);
    return true;
  }

  /** Raw entries from `logicOffset`, at most `maxEntries` (fewer at a file or memory-chunk boundary). */
  async readEntries(logicOffset: number, maxEntries: number): Promise<Buffer> {
    const buf = await this.log.read(logicOffset * CQ_ENTRY_SIZE, maxEntries * CQ_ENTRY_SIZE);
    return buf.subarray(0, buf.length - (buf.length % CQ_ENTRY_SIZE));
  }

  /** The entry at `logicOffset`, or undefined outside [min, max). */
  async entryAt(logicOffset: number): Promise<ConsumeQueueEntry | undefined> {
    if (logicOffset < this.minLogicOffset || logicOffset >= this.maxOffset) return undefined;
    const buf = await this.readEntries(logicOffset, 1);
    return buf.length === CQ_ENTRY_SIZE ? decodeConsumeQueueEntry(buf, 0) : undefined;
  }

  /** Recovery, right after {@link load}: drops the entries that point at or past CommitLog offset `phyOffset`. */
  truncateFromPhyOffset(phyOffset: number): void {
    let end = this.maxOffset;
    const one = Buffer.alloc(CQ_ENTRY_SIZE);
    while (end > this.minLogicOffset) {
      const pos = (end - 1) * CQ_ENTRY_SIZE;
      const seg = this.log.segmentAt(pos);
      if (!seg) break;
      fs.readSync(seg.fd, one, 0, CQ_ENTRY_SIZE, pos - seg.fromOffset);
      const e = decodeConsumeQueueEntry(one, 0);
      if (e.size > 0 && e.size !== CQ_BLANK_SIZE && e.phyOffset < phyOffset) break;
      end--;
    }
    if (end < this.maxOffset) this.log.truncate(end * CQ_ENTRY_SIZE);
  }

  /**
   * Retention: removes files whose every entry points before `commitLogMinOffset` (the last file stays) and moves
   * the minimum logical offset to the first entry whose message still exists.
   */
  async deleteExpired(commitLogMinOffset: number): Promise<number> {
    let removed = 0;
    while (this.log.segments.length > 1) {
      const first = this.log.segments[0]!;
      const last = await this.entryAtRaw(first.endOffset - CQ_ENTRY_SIZE);
      if (!last || last.phyOffset + last.size > commitLogMinOffset) break;
      this.log.deleteFirstSegment();
      removed++;
    }
    let lo = Math.max(this.minLogicOffset, Math.floor(this.log.minOffset / CQ_ENTRY_SIZE));
    let hi = this.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const e = await this.entryAtRaw(mid * CQ_ENTRY_SIZE);
      if (e && e.size !== CQ_BLANK_SIZE && e.phyOffset >= commitLogMinOffset) hi = mid;
      else lo = mid + 1;
    }
    this.minLogicOffset = lo;
    return removed;
  }

  /** Makes the appended entries durable. */
  flush(): Promise<number> {
    return this.log.flush();
  }

  close(): void {
    this.log.close();
  }

  /** Removes the queue's files and directory. */
  destroy(): void {
    this.log.destroy();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private append(phyOffset: number, size: number, tagsCode: number): void {
    const log = this.log;
    log.reserveSlot(CQ_ENTRY_SIZE);
    const buf = log.reservedBuf;
    const off = log.reservedOff;
    writeLong(buf, phyOffset, off);
    writeInt(buf, size, off + 8);
    writeLong(buf, tagsCode, off + 12);
  }

  private async entryAtRaw(pos: number): Promise<ConsumeQueueEntry | undefined> {
    const buf = await this.log.read(pos, CQ_ENTRY_SIZE);
    return buf.length === CQ_ENTRY_SIZE ? decodeConsumeQueueEntry(buf, 0) : undefined;
  }
}
