import type { Logger } from '../common/logger.js';
import type { CommitLog } from './commitlog.js';

/**
 * SYNC_FLUSH: a group commit round writes its bytes itself, on the event loop, when there are at most this many
 * (SegmentedLog.syncWriteBytes): 64 puts of 4 KiB fit. Copying 264 KiB into the page cache took ≈ 0.11 ms of the
 * event loop here, so 512 KiB should hold it for a few tenths of a millisecond at most. A larger round is written
 * from pool threads and leaves the event loop free meanwhile.
 */
const SYNC_WRITE_BYTES = 512 * 1024;

interface Waiter {
  offset: number;
  /** Settles the waiting promise with {@link answer} of the outcome. */
  resolve: (value: unknown) => void;
  deadline: number;
  /** What the promise resolves to when the offset is durable in time (true for waitFor). */
  onTime: unknown;
  /** Maps `onTime` to the answer after the timeout; undefined = false (waitFor). */
  late: ((onTime: never) => unknown) | undefined;
}

function answer(w: Waiter, flushed: boolean): unknown {
  if (flushed) return w.onTime;
  return w.late === undefined ? false : w.late(w.onTime as never);
}

/**
 * Makes CommitLog appends durable. ASYNC_FLUSH: an fdatasync every `intervalMs`. SYNC_FLUSH: group commit — each
 * put waits for an offset; one flush (write + fdatasync) covers every waiter whose record was appended before it
 * started, and the next round starts at once for those that arrived meanwhile. A waiter not covered within
 * `syncFlushTimeout` is answered false (FLUSH_DISK_TIMEOUT); its record stays appended.
 */
export class CommitLogFlusher {
  private waiters: Waiter[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  /** One timer expires every overdue waiter (cheaper than a timer per put). */
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly commitLog: CommitLog,
    private readonly mode: 'ASYNC_FLUSH' | 'SYNC_FLUSH',
    private readonly intervalMs: number,
    private readonly syncFlushTimeout: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.mode === 'SYNC_FLUSH') this.commitLog.log.syncWriteBytes = SYNC_WRITE_BYTES;
    if (this.mode === 'ASYNC_FLUSH') {
      this.timer = setInterval(() => {
        this.commitLog.flush().catch((err) => this.logger.error({ err }, 'commitlog flush failed'));
      }, this.intervalMs);
      this.timer.unref();
    }
  }

  /** Resolves true once everything before `offset` is durable, false after the sync flush timeout. */
  waitFor(offset: number): Promise<boolean> {
    return this.waitUntilDurable(offset, true, undefined) as Promise<boolean>;
  }

  /**
   * Resolves with `result` once everything before `offset` is durable, with `late(result)` after the sync flush
   * timeout: a put's answer in one promise, where `waitFor(offset).then(...)` would take two.
   */
  waitForResult<T>(offset: number, result: T, late: (result: T) => T): Promise<T> {
    return this.waitUntilDurable(offset, result, late) as Promise<T>;
  }

  private waitUntilDurable(
    offset: number,
    onTime: unknown,
    late: ((onTime: never) => unknown) | undefined,
  ): Promise<unknown> {
    if (this.commitLog.flushedOffset >= offset) return Promise.resolve(onTime);
    return new Promise((resolve) => {
      this.waiters.push({ offset, resolve, deadline: Date.now() + this.syncFlushTimeout, onTime, late });
      if (!this.sweeper) {
        const every = Math.max(1, Math.min(100, Math.floor(this.syncFlushTimeout / 4)));
        this.sweeper = setInterval(() => this.expire(), every);
        this.sweeper.unref();
      }
      if (!this.running) void this.groupCommitLoop();
    });
  }

  private expire(): void {
    const now = Date.now();
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.deadline <= now) w.resolve(answer(w, false));
      else still.push(w);
    }
    this.waiters = still;
    if (still.length === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /**
   * Stops the timer and answers the waiters after a last flush; a waiter that flush did not cover (it failed) is
   * answered as timed out rather than left waiting. Rejects when the last flush fails.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      await this.commitLog.flush();
    } finally {
      this.release();
      for (const w of this.waiters) w.resolve(answer(w, false));
      this.waiters = [];
      if (this.sweeper) clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private async groupCommitLoop(): Promise<void> {
    this.running = true;
    try {
      while (this.waiters.length > 0) {
        // Let the appenders woken by the previous round append again first, so one fdatasync covers them all.
        await new Promise((resolve) => setImmediate(resolve));
        await this.commitLog.flush();
        this.release();
      }
    } catch (err) {
      this.logger.error({ err }, 'commitlog group commit failed');
    } finally {
      this.running = false;
    }
  }

  private release(): void {
    const flushed = this.commitLog.flushedOffset;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.offset <= flushed) w.resolve(answer(w, true));
      else still.push(w);
    }
    this.waiters = still;
  }
}
