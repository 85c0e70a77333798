import { RocketMQError } from '../common/errors.js';
import { datasync, listSegmentOffsets, readAt, SegmentFile, writeFully, writeFullySync } from './mapped-file.js';

/** Sizing of a {@link SegmentedLog}. */
export interface SegmentedLogOptions {
  /** Bytes per segment file; segments start at multiples of it. */
  segmentSize: number;
  /** Bytes per in-memory write chunk (a chunk never spans two segments). */
  chunkSize: number;
  /** Written chunks kept in memory for tail reads (the unwritten ones are always kept). */
  keepChunks: number;
  /**
   * Write-behind: hand appended bytes to the OS soon after the append (once `writeBatchBytes` are pending, or
   * after `writeDelayMs`), so a process crash loses little. Without it data is written by `flush()` only.
   */
  writeBehind?: { writeBatchBytes: number; writeDelayMs: number };
  /**
   * A failed fdatasync refuses every later append, as a failed write does (the CommitLog). After a failed
   * fdatasync the kernel may have dropped the dirty pages and cleared the error, so a later one could succeed
   * without the data being on disk. Logs rebuilt from the CommitLog (ConsumeQueues) leave it off: their owner stops
   * advancing the checkpoint instead.
   */
  fatalSyncErrors?: boolean;
}

interface Chunk {
  /** Absolute offset of buf[0]. */
  start: number;
  buf: Buffer;
  /** Bytes appended. */
  len: number;
  /** Bytes handed to write(2) calls, some of which may still be running. */
  issued: number;
  /** Bytes whose write completed: a prefix of `issued`, as completions are taken in the order the writes were issued. */
  written: number;
  segment: SegmentFile;
  /** A reader got a view of `buf` (it may still hold it): the buffer is never reused. */
  lent: boolean;
}

/** Written chunk buffers kept for reuse (see {@link SegmentedLog.trimCache}). */
const SPARE_CHUNKS = 2;

/**
 * An append-only byte log over fixed-size segment files (RocketMQ's MappedFileQueue without mmap). Appends are
 * synchronous into in-memory chunks and reach the files by positional writes from a write-behind loop; `flush()`
 * makes everything appended before the call durable with fdatasync. Recent chunks stay in memory, so reads near
 * the tail are served without touching the disk; older data is read positionally from the segment files.
 */
export class SegmentedLog {
  readonly dir: string;
  readonly options: SegmentedLogOptions;
  /** Segment files, ascending and contiguous. */
  segments: SegmentFile[] = [];
  /** Absolute offset where the next append goes. */
  writePos = 0;
  /** Everything before this offset is durable (fdatasync'ed). */
  flushedPos = 0;
  /** Bytes appended whose write has not completed yet (callers apply backpressure on it). */
  unwrittenBytes = 0;
  /**
   * Group commit (SYNC_FLUSH) sets this: a flush that finds at most this many appended bytes not yet handed to a
   * write copies them into the page cache itself, on the calling thread, and starts the fdatasync right after.
   * Handing them to a pool thread instead costs a wake-up of that thread and another of this one before the
   * fdatasync can start (SYNC 4 KiB x64: ~30 µs of this thread per pool write on a 2-vCPU VM). 0 = off.
   */
  syncWriteBytes = 0;
  /** Number of fdatasync rounds done (group commit shows fewer rounds than appends). */
  flushRounds = 0;
  /**
   * Where the last {@link reserveSlot} put its `n` bytes: `reservedBuf[reservedOff, reservedOff + n)`, at absolute
   * offset `reservedPos`. Fields rather than a returned object: the store reserves once per message.
   */
  reservedBuf: Buffer = Buffer.alloc(0);
  reservedOff = 0;
  reservedPos = 0;
  private chunks: Chunk[] = [];
  /** Buffers of dropped chunks no reader ever saw, `chunkSize` bytes each, ready for the next chunks. */
  private spare: Buffer[] = [];
  /** Appended bytes not yet handed to a write. */
  private unissuedBytes = 0;
  private writesInFlight = 0;
  /** Settles once every write issued so far has completed and been accounted for (in issue order). */
  private lastWrite: Promise<void> = Promise.resolve();
  private kickScheduled = false;
  private kickTimer: NodeJS.Timeout | undefined;
  private flushChain: Promise<unknown> = Promise.resolve();
  private queuedFlush: Promise<number> | null = null;
  private failure: Error | undefined;

  constructor(dir: string, options: SegmentedLogOptions) {
    this.dir = dir;
    this.options = options;
  }

  /** Opens the existing segment files (positions are set afterwards by the owner's recovery). */
  load(): void {
    const offsets = listSegmentOffsets(this.dir);
    for (let i = 0; i < offsets.length; i++) {
      const from = offsets[i]!;
      if (from % this.options.segmentSize !== 0 || (i > 0 && from !== offsets[i - 1]! + this.options.segmentSize)) {
        this.close();
        throw new RocketMQError(
          'SYSTEM_ERROR',
          `segment files in ${this.dir} are not contiguous multiples of ${this.options.segmentSize} (at ${from})`,
        );
      }
      this.segments.push(SegmentFile.open(this.dir, from, this.options.segmentSize));
    }
    const last = this.segments.at(-1);
    this.writePos = last ? last.fromOffset : 0;
    this.flushedPos = this.writePos;
  }

  /** Offset of the first byte still on disk (the start of the oldest segment), or writePos when there is none. */
  get minOffset(): number {
    return this.segments[0]?.fromOffset ?? this.writePos;
  }

  /** Bytes left in the segment the next append goes to. */
  remainingInSegment(): number {
    return this.options.segmentSize - (this.writePos % this.options.segmentSize);
  }

  /** Sets where the data ends (recovery); drops the in-memory chunks. */
  setWritePosition(pos: number): void {
    this.chunks = [];
    this.writePos = pos;
    this.flushedPos = pos;
    this.unwrittenBytes = 0;
    this.unissuedBytes = 0;
  }

  /** Discards everything from `pos` on: the rest of its segment is zeroed and later segments removed. */
  truncate(pos: number): void {
    while (this.segments.length > 0 && this.segments.at(-1)!.fromOffset >= pos) this.segments.pop()!.destroy();
    const seg = this.segments.at(-1);
    if (seg && pos < seg.endOffset) seg.zeroFrom(pos - seg.fromOffset);
    this.setWritePosition(pos);
  }

  /**
   * Reserves `n` bytes at the tail and returns where to fill them. The caller fills all `n` bytes synchronously.
   * `n` must not exceed {@link remainingInSegment}.
   */
  reserve(n: number): { buf: Buffer; off: number; pos: number } {
    this.reserveSlot(n);
    return { buf: this.reservedBuf, off: this.reservedOff, pos: this.reservedPos };
  }

  /** {@link reserve} leaving its answer in reservedBuf / reservedOff / reservedPos instead of a new object. */
  reserveSlot(n: number): void {
    if (this.failure) throw new RocketMQError('SYSTEM_ERROR', `write to ${this.dir} failed`, { cause: this.failure });
    if (n > this.remainingInSegment()) throw new RocketMQError('SYSTEM_ERROR', 'append crosses a segment end');
    let chunk = this.chunks.at(-1);
    if (!chunk || chunk.start + chunk.len !== this.writePos || chunk.buf.length - chunk.len < n) {
      const segment = this.segmentForAppend(this.writePos);
      const cap = Math.min(Math.max(this.options.chunkSize, n), segment.endOffset - this.writePos);
      const buf = cap === this.options.chunkSize ? this.spare.pop() : undefined;
      chunk = {
        start: this.writePos,
        buf: buf ?? Buffer.allocUnsafe(cap),
        len: 0,
        issued: 0,
        written: 0,
        segment,
        lent: false,
      };
      this.chunks.push(chunk);
    }
    this.reservedBuf = chunk.buf;
    this.reservedOff = chunk.len;
    this.reservedPos = this.writePos;
    chunk.len += n;
    this.writePos += n;
    this.unwrittenBytes += n;
    this.unissuedBytes += n;
    this.kick();
  }

  /** Moves the tail to the start of the next segment (after a blank record). */
  skipToSegmentEnd(): void {
    this.writePos += this.remainingInSegment();
  }

  /**
   * Up to `len` bytes at `pos`, never past the tail. Fewer bytes come back when the range crosses an in-memory chunk
   * or a segment boundary: callers read on from where the answer ends.
   */
  async read(pos: number, len: number): Promise<Buffer> {
    const want = Math.min(len, this.writePos - pos);
    if (want <= 0 || pos < this.minOffset) return Buffer.alloc(0);
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const c = this.chunks[i]!;
      if (pos >= c.start && pos < c.start + c.len) {
        c.lent = true;
        return c.buf.subarray(pos - c.start, pos - c.start + Math.min(want, c.start + c.len - pos));
      }
      if (pos >= c.start + c.len) break;
    }
    const seg = this.segmentAt(pos);
    if (!seg) return Buffer.alloc(0);
    // Data before the oldest in-memory chunk has been written to the file.
    const cachedFrom = this.chunks[0]?.start ?? this.writePos;
    const end = Math.min(pos + want, seg.endOffset, cachedFrom > pos ? cachedFrom : pos + want);
    return readAt(seg.fd, end - pos, pos - seg.fromOffset);
  }

  /** True when [pos, pos+len) is served from memory. */
  isInMemory(pos: number): boolean {
    const first = this.chunks[0];
    return first !== undefined && pos >= first.start;
  }

  /**
   * Makes everything appended before this call durable; resolves with the durable offset. At most one flush runs
   * and one waits: callers arriving while one waits share it (its target is taken when it starts).
   */
  flush(): Promise<number> {
    if (this.queuedFlush) return this.queuedFlush;
    const next = this.flushChain.then(() => {
      this.queuedFlush = null;
      return this.flushOnce();
    });
    this.queuedFlush = next;
    this.flushChain = next.catch(() => undefined);
    return next;
  }

  /**
   * Writes (no fdatasync) everything appended before `upTo` (default: now). Appends made meanwhile are not waited
   * for, so a drain ends even under a continuous stream of appends.
   */
  async drain(upTo = this.writePos): Promise<void> {
    this.issueUpTo(upTo, false);
    await this.lastWrite;
    if (this.failure) throw this.failure;
  }

  /** Why writing failed, once a write has failed: the log then refuses every append. */
  get writeError(): Error | undefined {
    return this.failure;
  }

  /** Removes the oldest segment file (retention). */
  deleteFirstSegment(): SegmentFile | undefined {
    const seg = this.segments.shift();
    if (!seg) return undefined;
    this.chunks = this.chunks.filter((c) => c.segment !== seg);
    seg.destroy();
    return seg;
  }

  /** Closes every file descriptor (call after a final flush). */
  close(): void {
    this.stopWriteBehind();
    for (const s of this.segments) s.close();
  }

  /** Closes and removes every segment file. */
  destroy(): void {
    this.stopWriteBehind();
    for (const s of this.segments) s.destroy();
    this.segments = [];
    this.chunks = [];
  }

  /** The segment holding `pos`, if it exists. */
  segmentAt(pos: number): SegmentFile | undefined {
    const first = this.segments[0];
    if (!first || pos < first.fromOffset) return undefined;
    return this.segments[Math.floor((pos - first.fromOffset) / this.options.segmentSize)];
  }

  private segmentForAppend(pos: number): SegmentFile {
    const existing = this.segmentAt(pos);
    if (existing) return existing;
    const from = pos - (pos % this.options.segmentSize);
    const seg = SegmentFile.open(this.dir, from, this.options.segmentSize);
    this.segments.push(seg);
    return seg;
  }

  private async flushOnce(): Promise<number> {
    const target = this.writePos;
    if (target <= this.flushedPos) return this.flushedPos;
    if (this.syncWriteBytes > 0 && this.unissuedBytes <= this.syncWriteBytes) this.issueUpTo(target, true);
    await this.drain(target);
    const from = this.flushedPos;
    const touched = this.segments.filter((s) => s.endOffset > from && s.fromOffset < target);
    try {
      await Promise.all(touched.map((s) => datasync(s.fd)));
    } catch (err) {
      if (this.options.fatalSyncErrors === true) this.failure ??= err as Error; // see fatalSyncErrors
      throw err;
    }
    this.flushRounds++;
    if (target > this.flushedPos) this.flushedPos = target;
    return this.flushedPos;
  }

  private kick(): void {
    const behind = this.options.writeBehind;
    if (!behind || this.kickScheduled) return;
    if (this.unissuedBytes >= behind.writeBatchBytes) {
      this.kickScheduled = true;
      setImmediate(() => {
        this.kickScheduled = false;
        if (this.writesInFlight === 0) this.issueUpTo(this.writePos, false);
      });
    } else if (!this.kickTimer) {
      this.kickTimer = setTimeout(() => {
        this.kickTimer = undefined;
        this.drain().catch(() => undefined);
      }, behind.writeDelayMs);
      this.kickTimer.unref();
    }
  }

  /** Stops the write-behind timer (before close). */
  stopWriteBehind(): void {
    if (this.kickTimer) clearTimeout(this.kickTimer);
    this.kickTimer = undefined;
  }

  /**
   * Hands every appended byte before `upTo` not yet handed to a write to the OS: one write per chunk, from a pool
   * thread, or on this thread when `now`. Earlier writes may still be running; completions are accounted in issue
   * order.
   */
  private issueUpTo(upTo: number, now: boolean): void {
    if (this.unissuedBytes === 0) return;
    for (const c of this.chunks) {
      if (c.start >= upTo) break;
      const end = Math.min(c.len, upTo - c.start);
      if (end > c.issued) this.issue(c, end - c.issued, now);
    }
  }

  private issue(c: Chunk, n: number, now: boolean): void {
    const from = c.issued;
    const pos = c.start - c.segment.fromOffset + from;
    c.issued += n;
    this.unissuedBytes -= n;
    this.writesInFlight++;
    let write: Promise<void>;
    if (now) {
      try {
        writeFullySync(c.segment.fd, c.buf, from, n, pos);
        write = Promise.resolve();
      } catch (err) {
        write = Promise.reject(err as Error);
      }
    } else {
      write = writeFully(c.segment.fd, c.buf, from, n, pos);
    }
    this.lastWrite = Promise.all([this.lastWrite, write]).then(
      () => {
        this.writesInFlight--;
        c.written += n;
        this.unwrittenBytes -= n;
        this.trimCache();
        // Write-behind: bytes appended while this write ran, and no later append to start their write.
        if (this.writesInFlight === 0 && this.unissuedBytes > 0) this.kick();
      },
      (err: unknown) => {
        this.writesInFlight--;
        this.failure ??= err as Error;
      },
    );
  }

  /**
   * Drops written chunks beyond the `keepChunks` newest. The buffer of a dropped chunk that no reader ever got a view
   * of is kept for a later chunk: nothing else refers to it (its bytes are written, appends go to the newest chunk),
   * and reusing it spares a fresh multi-MiB allocation whose pages fault in one by one as records are copied in. A
   * chunk a reader has seen is left to the garbage collector: a pull response may still be sending from it.
   */
  private trimCache(): void {
    while (this.chunks.length > this.options.keepChunks && this.chunks[0]!.written === this.chunks[0]!.len) {
      const dropped = this.chunks.shift()!;
      if (!dropped.lent && dropped.buf.length === this.options.chunkSize && this.spare.length < SPARE_CHUNKS) {
        this.spare.push(dropped.buf);
      }
    }
  }
}
