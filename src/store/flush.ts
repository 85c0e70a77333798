import type { Logger } from '../common/logger.js';
import type { CommitLog } from './commitlog.js';

interface Waiter {
  offset: number;
  resolve: (flushed: boolean) => void;
  timer: NodeJS.Timeout;
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
      const waiter: Waiter = {
        offset,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, this.syncFlushTimeout),
      };
      this.waiters.push(waiter);
      if (!this.running) void this.groupCommitLoop();
    });
  }

  /** Stops the timer and answers the waiters after a last flush. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.commitLog.flush();
    this.release();
  }

  private async groupCommitLoop(): Promise<void> {
    this.running = true;
    try {
      while (this.waiters.length > 0) {
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
      if (w.offset <= flushed) {
        clearTimeout(w.timer);
        w.resolve(true);
      } else still.push(w);
    }
    this.waiters = still;
  }
}
