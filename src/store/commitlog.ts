import * as fs from 'node:fs';
import type { Logger } from '../common/logger.js';
import {
  BLANK_MAGIC,
  BLANK_RECORD_SIZE,
  decodeRecord,
  MESSAGE_MAGIC_V1,
  MESSAGE_MAGIC_V2,
  type MessageRecord,
  RECORD_FIXED_SIZE,
  writeBlankRecord,
} from '../protocol/message/record.js';
import { SegmentedLog } from './segmented-log.js';

/** A record met by {@link CommitLog.scan}: decoded without its body. */
export type ScannedRecord = MessageRecord & { size: number };

const PROGRESS_EVERY = 256 * 1024 * 1024;
/** Write-behind: pending bytes that trigger a write(2) on the next turn of the event loop... */
const WRITE_BATCH_BYTES = 256 * 1024;
/** ...or the delay after which fewer pending bytes are written anyway. */
const WRITE_DELAY_MS = 5;
/** Cold reads go through a cache of this many blocks of READ_BLOCK_BYTES, aligned within their segment. */
const READ_CACHE_BLOCKS = 16;
const READ_BLOCK_BYTES = 1024 * 1024;

/**
 * The CommitLog: every message of every topic, back to back in RocketMQ's record layout, in fixed-size segment
 * files under `storePathCommitLog`. A record that does not fit with 8 bytes to spare ends the segment with the
 * blank record (`int32 remaining | int32 BLANK_MAGIC`) and goes to the start of the next one.
 */
export class CommitLog {
  readonly log: SegmentedLog;
  readonly segmentSize: number;

  constructor(dir: string, segmentSize: number, chunkSize: number, keepChunks: number) {
    this.segmentSize = segmentSize;
    this.log = new SegmentedLog(dir, {
      segmentSize,
      chunkSize: Math.min(chunkSize, segmentSize),
      keepChunks: Math.max(1, keepChunks),
      writeBehind: { writeBatchBytes: WRITE_BATCH_BYTES, writeDelayMs: WRITE_DELAY_MS },
      fatalSyncErrors: true,
    });
  }

  load(): void {
    this.log.load();
  }

  /** Offset of the oldest byte still stored. */
  get minOffset(): number {
    return this.log.minOffset;
  }

  /** Offset the next record gets. */
  get maxOffset(): number {
    return this.log.writePos;
  }

  /** Everything before this offset is durable. */
  get flushedOffset(): number {
    return this.log.flushedPos;
  }

  /** True when a record of `size` bytes can ever be stored (it must fit in a segment with 8 bytes to spare). */
  fits(size: number): boolean {
    return size + BLANK_RECORD_SIZE <= this.segmentSize;
  }

  /**
   * Reserves room for a record of `size` bytes at the tail; the caller encodes it right away at
   * `log.reservedBuf[log.reservedOff]` (its physical offset is `log.reservedPos`). Ends the current segment with a
   * blank record first when the record does not fit.
   */
  reserveRecord(size: number): void {
    const remaining = this.log.remainingInSegment();
    if (size + BLANK_RECORD_SIZE > remaining) {
      const { buf, off } = this.log.reserve(BLANK_RECORD_SIZE);
      writeBlankRecord(buf, off, remaining);
      this.log.skipToSegmentEnd();
    }
    this.log.reserveSlot(size);
  }

  /** The bytes of the record at `phyOffset` whose size is known (from a ConsumeQueue entry). */
  async readSized(phyOffset: number, size: number): Promise<Buffer | undefined> {
    if (phyOffset < this.minOffset || phyOffset + size > this.maxOffset) return undefined;
    const buf = await this.log.read(phyOffset, size);
    return buf.length === size ? buf : undefined;
  }

  /**
   * The bytes of several records whose sizes are known, in order. Records in memory are views of it; older ones come
   * from the block cache (see {@link readBlock}), a record straddling two blocks from its own positional read.
   */
  async readBatch(entries: readonly { phyOffset: number; size: number }[]): Promise<(Buffer | undefined)[]> {
    const out: (Buffer | undefined)[] = new Array(entries.length);
    let blockStart = -1;
    let block: Buffer | undefined;
    for (let i = 0; i < entries.length; i++) {
      const { phyOffset, size } = entries[i]!;
      const seg = this.log.segmentAt(phyOffset);
      if (!seg || phyOffset < this.minOffset || this.log.isInMemory(phyOffset)) {
        out[i] = await this.readSized(phyOffset, size);
        continue;
      }
      const blockBytes = Math.min(READ_BLOCK_BYTES, this.segmentSize);
      const start = seg.fromOffset + Math.floor((phyOffset - seg.fromOffset) / blockBytes) * blockBytes;
      if (start !== blockStart) {
        blockStart = start;
        block = await this.readBlock(start, blockBytes);
      }
      const rel = phyOffset - start;
      out[i] =
        block !== undefined && rel + size <= block.length
          ? block.subarray(rel, rel + size)
          : await this.readSized(phyOffset, size);
    }
    return out;
  }

  /**
   * Recently read blocks of the files, most recent last. Consumers catching up on a backlog read the queues of a
   * topic side by side, and their records are interleaved in the CommitLog: reading the span around one queue's 32
   * records fetched ~16 times the bytes it used (16 queues). Aligned blocks shared by every pull read each byte once.
   * A block is a promise so that pulls arriving while it is read share the read. Blocks never change once written
   * (the CommitLog is append-only; a deleted segment's offsets are below minOffset and never asked for).
   */
  private readonly blocks = new Map<number, Promise<Buffer>>();

  /** The block at `start`: cached, or read with one positional read and cached when it is whole. */
  private readBlock(start: number, blockBytes: number): Promise<Buffer> {
    const cached = this.blocks.get(start);
    if (cached !== undefined) {
      this.blocks.delete(start); // move to the most recent end
      this.blocks.set(start, cached);
      return cached;
    }
    const reading = this.log.read(start, blockBytes);
    this.blocks.set(start, reading);
    if (this.blocks.size > READ_CACHE_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    reading.then(
      (buf) => {
        // a block cut short by the in-memory tail or the end of the data is used once, not kept
        if (buf.length < blockBytes && this.blocks.get(start) === reading) this.blocks.delete(start);
      },
      () => {
        if (this.blocks.get(start) === reading) this.blocks.delete(start);
      },
    );
    return reading;
  }

  /** The bytes of the record at `phyOffset`, or undefined when there is no record there. */
  async readRecord(phyOffset: number): Promise<Buffer | undefined> {
    const head = await this.log.read(phyOffset, 8);
    if (head.length < 8) return undefined;
    const size = head.readInt32BE(0);
    const magic = head.readInt32BE(4);
    if ((magic !== MESSAGE_MAGIC_V1 && magic !== MESSAGE_MAGIC_V2) || size < RECORD_FIXED_SIZE) return undefined;
    return this.readSized(phyOffset, size);
  }

  /**
   * Recovery: walks the records from `start` (a record boundary), verifying magic, size, position and body CRC,
   * calling `visit` for each valid one; `visit` may reject a record (fields the CRC does not cover) by returning
   * false. Returns the offset where valid data ends (the first zero, torn or corrupt
   * record). Reads synchronously: it runs before the store serves anything.
   */
  scan(start: number, maxRecordSize: number, visit: (rec: ScannedRecord) => boolean, logger?: Logger): number {
    const windowSize = Math.max(8 * 1024 * 1024, 2 * maxRecordSize);
    let window = Buffer.alloc(0);
    let windowStart = -1;
    let windowLength = 0;
    let pos = start;
    let nextProgress = start + PROGRESS_EVERY;
    // The window holds file bytes [windowStart, windowStart + windowLength), never across a segment end.
    const ensure = (fd: number, segFrom: number, segEnd: number, len: number): boolean => {
      if (windowStart >= 0 && pos >= windowStart && pos + len <= windowStart + windowLength) return true;
      const n = Math.min(Math.max(windowSize, len), segEnd - pos);
      if (n < len) return false;
      if (window.length < n) window = Buffer.alloc(n);
      const got = fs.readSync(fd, window, 0, n, pos - segFrom);
      windowStart = pos;
      windowLength = got;
      return got >= len;
    };
    for (;;) {
      const seg = this.log.segmentAt(pos);
      if (!seg) return pos;
      if (pos >= nextProgress) {
        logger?.info({ offset: pos, from: start }, 'commitlog recovery scan in progress');
        nextProgress = pos + PROGRESS_EVERY;
      }
      if (!ensure(seg.fd, seg.fromOffset, seg.endOffset, BLANK_RECORD_SIZE)) return pos;
      const at = pos - windowStart;
      const size = window.readInt32BE(at);
      const magic = window.readInt32BE(at + 4);
      if (magic === BLANK_MAGIC) {
        if (size !== seg.endOffset - pos) return pos;
        pos = seg.endOffset;
        continue;
      }
      if (magic !== MESSAGE_MAGIC_V1 && magic !== MESSAGE_MAGIC_V2) return pos;
      if (size < RECORD_FIXED_SIZE || size > maxRecordSize || size + BLANK_RECORD_SIZE > seg.endOffset - pos)
        return pos;
      if (!ensure(seg.fd, seg.fromOffset, seg.endOffset, size)) return pos;
      let rec: ScannedRecord;
      try {
        rec = decodeRecord(window.subarray(0, pos - windowStart + size), pos - windowStart, {
          readBody: false,
          checkCrc: true,
        });
      } catch {
        return pos;
      }
      if (rec.physicalOffset !== pos || !visit(rec)) return pos;
      pos += size;
    }
  }

  /** Recovery: sets the end of valid data, discarding (zeroing) anything after it. */
  truncateTo(end: number): void {
    this.log.truncate(end);
  }

  flush(): Promise<number> {
    return this.log.flush();
  }

  close(): void {
    this.log.close();
  }
}
