import type { Logger } from '../common/logger.js';
import type { CommitLog } from './commitlog.js';

interface Waiter {
  offset: number;
  resolve: (flushed: boolean) => void;
  deadline: number;
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
    if (this.mode === 'ASYNC_FLUSH') {
      this.timer = setInterval(() => {
        this.commitLog.flush().catch((err) => this.logger.error({ err }, 'commitlog flush failed'));
      }, this.intervalMs);
      this.timer.unref();
    }
  }

  /** Resolves true once everything before `offset` is durable, false after the sync flush timeout. */
  waitFor(offset: number): Promise<boolean> {
    if (this.commitLog.flushedOffset >= offset) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.waiters.push({ offset, resolve, deadline: Date.now() + this.syncFlushTimeout });
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
      if (w.deadline <= now) w.resolve(false);
      else still.push(w);
    }
    this.waiters = still;
    if (still.length === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Stops the timer and answers the waiters after a last flush. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.commitLog.flush();
    this.release();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
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
      if (w.offset <= flushed) w.resolve(true);
      else still.push(w);
    }
    this.waiters = still;
  }
}
