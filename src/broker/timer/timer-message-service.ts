/**
 * Delivery of timer messages (reference §6.4). Send parks a timed message in `rmq_sys_wheel_timer` queue 0
 * (timer-message.ts); this service then
 *
 * - **enqueues**: reads that queue in order, appends one 52-byte TimerLog unit per message (a reference to the
 *   stored record, not a copy) and links it into the TimerWheel slot of its delivery tick;
 * - **dequeues**: at the end of each tick takes the tick's slot, walks its unit chain and re-puts each message to
 *   its real topic and queue. A delay longer than the roll window is parked in the window's last slot as a ROLL
 *   unit; when that fires the message is re-appended to the timer topic (a fresh CommitLog copy, TIMER_ROLL_TIMES +
 *   1) and enqueued again, so the record it points at is never older than the roll window, which is kept under half
 *   of `fileReservedTime`: CommitLog retention never deletes a pending timer's message.
 * - **checkpoints** (`config/timercheck`) every flush interval: the queue offset enqueued and the TimerLog length
 *   that matches it (both fsynced first), and the tick up to which every delivery is done and flushed in the store.
 *
 * At start the TimerLog is cut back to the checkpointed length, the wheel is rebuilt from the units of ticks not yet
 * delivered, enqueueing resumes from the checkpointed queue offset, and the ticks that passed while the broker was
 * down are delivered at once. Only the wheel (fixed size) and the units of the tick being delivered are in memory.
 */
import { join } from 'node:path';
import type { Logger } from '../../common/logger.js';
import { MessageConst } from '../../protocol/message/properties.js';
import { decodeRecord } from '../../protocol/message/record.js';
import type { MessageStore, MessageToStore } from '../../store/message-store.js';
import { loadTimerCheckpoint, saveTimerCheckpoint } from './timer-checkpoint.js';
import type { TimerConfig } from './timer-config.js';
import { javaStringHash, TIMER_LOG_UNIT_SIZE, type TimerLogUnit, TimerMagic } from './timer-format.js';
import { type PositionedUnit, TimerLog } from './timer-log.js';
import {
  propertyValue,
  restoreTimerMessage,
  rollTimerMessage,
  TIMER_TOPIC,
  timerOutMsOf,
  timerSlotMs,
} from './timer-message.js';
import { TimerWheel, type WheelEntry } from './timer-wheel.js';

/** Options of {@link TimerMessageService}. */
export interface TimerMessageServiceOptions {
  store: MessageStore;
  /** storePathRootDir: `timerwheel`, `timerlog/` and `config/timercheck` live under it. */
  rootDir: string;
  config: Pick<
    TimerConfig,
    'timerPrecisionMs' | 'timerRollWindowSlot' | 'timerFlushIntervalMs' | 'mappedFileSizeTimerLog'
  >;
  /** The store's fileReservedTime (hours); the roll window stays under half of it. 0 = no limit from it. */
  fileReservedTimeHours: number;
  logger: Logger;
  /** Wall clock (ms). */
  now?: () => number;
  /** No internal timers: the caller drives {@link enqueueOnce}, {@link dequeueDue} and {@link flush} (tests). */
  manual?: boolean;
  /** Wheel slots (default 2 × 7 days of ticks); tests may shrink it. */
  wheelSlots?: number;
}

/** Counters of {@link TimerMessageService}. */
export interface TimerStats {
  /** Units linked in the wheel and not yet taken. */
  pending: number;
  enqueued: number;
  delivered: number;
  rolled: number;
  /** Timers whose record could no longer be read (CommitLog deleted under them). */
  lost: number;
  /** Next tick (ms) to take. */
  readSlotMs: number;
  /** Next timer-topic queue offset to enqueue. */
  queueOffset: number;
}

/** Consumer group name the service reads the timer topic as (stats only). */
const TIMER_GROUP = 'TIMER_SERVICE';
const ENQUEUE_BATCH = 512;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const DELIVER_CHUNK = 256;
const RETRY_AFTER_FAILURE_MS = 1000;
/** A slot whose units span at most this many times their number of log units is read forward, not walked. */
const DENSE_FACTOR = 4;

/** A unit taken from a slot for delivery. */
interface TakenUnit {
  magic: number;
  writeTimeMs: number;
  commitLogOffset: number;
}

/** The timer store and its services; see the module comment. */
export class TimerMessageService {
  private readonly options: TimerMessageServiceOptions;
  private readonly now: () => number;
  private readonly precision: number;
  private readonly rollWindowMs: number;
  private readonly log: TimerLog;
  private readonly wheel: TimerWheel;
  private readonly checkpointPath: string;
  private queueOffset = 0;
  private readSlotMs = 0;
  private deliveredUpToMs = 0;
  private persistedReadMs = 0;
  private lastPutEnd = 0;
  private readonly candidates: { readMs: number; physEnd: number }[] = [];
  private readonly fileMaxSlot = new Map<number, number>();
  private counter = 0;
  private readonly counters = { pending: 0, enqueued: 0, delivered: 0, rolled: 0, lost: 0 };
  private lockChain: Promise<unknown> = Promise.resolve();
  private enqueueRun: Promise<void> | undefined;
  private enqueueAgain = false;
  private dequeueRun: Promise<void> | undefined;
  private flushRun: Promise<void> | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(options: TimerMessageServiceOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    const { config } = options;
    this.precision = config.timerPrecisionMs;
    this.wheel = new TimerWheel(join(options.rootDir, 'timerwheel'), this.precision, options.wheelSlots);
    this.log = new TimerLog(join(options.rootDir, 'timerlog'), config.mappedFileSizeTimerLog);
    this.checkpointPath = join(options.rootDir, 'config', 'timercheck');
    const reserved = options.fileReservedTimeHours > 0 ? (options.fileReservedTimeHours * 3_600_000) / 2 : Infinity;
    const byWheel = (this.wheel.slots * this.precision) / 2;
    this.rollWindowMs = Math.max(
      2 * this.precision,
      Math.min(config.timerRollWindowSlot * this.precision, reserved, byWheel),
    );
  }

  /** Delays beyond this (ms) are parked and rolled. */
  get rollWindow(): number {
    return this.rollWindowMs;
  }

  /** Recovers from the checkpoint, rebuilds the wheel and starts enqueueing and delivering. */
  async start(): Promise<void> {
    const cp = await loadTimerCheckpoint(this.checkpointPath);
    await this.log.open(cp?.lastTimerLogFlushPos ?? 0);
    await this.wheel.open();
    this.queueOffset = cp?.lastTimerQueueOffset ?? 0;
    const now = this.now();
    this.readSlotMs = cp ? cp.lastReadTimeMs : Math.floor(now / this.precision) * this.precision - this.precision;
    this.deliveredUpToMs = this.readSlotMs;
    this.persistedReadMs = this.readSlotMs;
    this.counter = cp?.counter ?? 0;
    await this.log.scan(this.log.writePos, (pos, unit) => {
      const slotMs = unit.writeTimeMs + unit.delayedTime;
      this.noteFileSlot(pos, slotMs);
      if (slotMs < this.readSlotMs || (unit.magic & TimerMagic.DELETE) !== 0) return;
      this.wheel.link(slotMs, pos);
      this.counters.pending++;
    });
    this.options.logger.info(
      { pending: this.counters.pending, readSlotMs: this.readSlotMs, queueOffset: this.queueOffset },
      'timer store recovered',
    );
    this.unsubscribe = this.options.store.onMessageArrived((topic) => {
      if (topic === TIMER_TOPIC) this.kickEnqueue();
    });
    if (!this.options.manual) {
      this.flushTimer = setInterval(() => {
        void this.flush().catch((err: unknown) => this.options.logger.warn({ err }, 'timer flush failed'));
        this.kickEnqueue();
      }, this.options.config.timerFlushIntervalMs);
      this.flushTimer.unref();
      this.kickEnqueue();
      this.kickDequeue();
    }
  }

  /** Counters and progress. */
  stats(): TimerStats {
    return { ...this.counters, readSlotMs: this.readSlotMs, queueOffset: this.queueOffset };
  }

  /** Stops the services (a tick being delivered is finished), writes the last checkpoint and closes the files. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.enqueueRun;
    await this.dequeueRun;
    await this.flushRun?.catch(() => undefined);
    await this.flushNow(true);
    await this.log.close();
    await this.wheel.close();
  }

  private withLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lockChain.then(fn);
    this.lockChain = run.catch(() => undefined);
    return run;
  }

  private noteFileSlot(pos: number, slotMs: number): void {
    const start = pos - (pos % this.log.segmentSize);
    const prev = this.fileMaxSlot.get(start);
    if (prev === undefined || slotMs > prev) this.fileMaxSlot.set(start, slotMs);
  }

  private kickEnqueue(): void {
    if (this.stopped || this.options.manual) return;
    if (this.enqueueRun) {
      this.enqueueAgain = true;
      return;
    }
    this.enqueueRun = (async () => {
      do {
        this.enqueueAgain = false;
        try {
          while (!this.stopped && (await this.enqueueOnce()) > 0) {
            // enqueue until the timer topic is drained
          }
        } catch (err) {
          this.options.logger.warn({ err }, 'timer enqueue failed; retrying on the next flush tick');
        }
      } while (this.enqueueAgain && !this.stopped);
    })().finally(() => {
      this.enqueueRun = undefined;
    });
  }

  /**
   * Reads one batch of the timer topic's queue into the TimerLog and the wheel. Resolves with the number of queue
   * entries consumed (0 when caught up).
   */
  enqueueOnce(): Promise<number> {
    return this.withLock(async () => {
      const { store, logger } = this.options;
      const from = this.queueOffset;
      const res = await store.getMessage(TIMER_GROUP, TIMER_TOPIC, 0, from, ENQUEUE_BATCH, MAX_BATCH_BYTES);
      if (res.status === 'OFFSET_TOO_SMALL' || res.status === 'OFFSET_OVERFLOW_BADLY') {
        logger.warn({ offset: from, next: res.nextBeginOffset }, 'timer queue offset out of range; corrected');
        this.queueOffset = res.nextBeginOffset;
        return 0;
      }
      if (res.messages.length === 0) {
        if (res.status === 'OFFSET_FOUND_NULL' && res.nextBeginOffset > from) {
          this.queueOffset = res.nextBeginOffset;
          return res.nextBeginOffset - from;
        }
        return 0;
      }
      const now = this.now();
      const units: PositionedUnit[] = [];
      for (let i = 0; i < res.messages.length; i++) {
        const unit = this.unitFor(res.messages[i]!, now, res.queueOffsets[i]!);
        if (!unit) continue;
        const pos = this.log.reserve(1)[0]!;
        unit.prevPos = this.wheel.link(unit.slotMs, pos);
        this.noteFileSlot(pos, unit.slotMs);
        units.push({
          pos,
          unit: {
            prevPos: unit.prevPos,
            magic: unit.magic,
            writeTimeMs: now,
            delayedTime: unit.slotMs - now,
            commitLogOffset: unit.commitLogOffset,
            sizePy: unit.size,
            realTopicHash: unit.realTopicHash,
          },
        });
      }
      await this.log.write(units);
      this.counters.pending += units.length;
      this.counters.enqueued += units.length;
      const next = res.queueOffsets[res.queueOffsets.length - 1]! + 1;
      this.queueOffset = Math.max(next, res.nextBeginOffset);
      this.kickDequeueSoon();
      return this.queueOffset - from;
    });
  }

  private unitFor(
    bytes: Buffer,
    now: number,
    queueOffset: number,
  ):
    | { slotMs: number; magic: number; prevPos: number; commitLogOffset: number; size: number; realTopicHash: number }
    | undefined {
    let rec: ReturnType<typeof decodeRecord>;
    try {
      rec = decodeRecord(bytes, 0, { readBody: false });
    } catch (err) {
      this.options.logger.warn({ err, queueOffset }, 'unreadable timer record skipped');
      return undefined;
    }
    const outMs = timerOutMsOf(rec.properties);
    const realTopic = propertyValue(rec.properties, MessageConst.REAL_TOPIC);
    if (outMs === undefined || realTopic === undefined) {
      this.options.logger.warn({ queueOffset }, 'timer record without TIMER_OUT_MS / REAL_TOPIC skipped');
      return undefined;
    }
    let slotMs = Math.max(outMs, this.readSlotMs);
    let magic: number = TimerMagic.DEFAULT;
    if (slotMs - now > this.rollWindowMs) {
      slotMs = Math.max(timerSlotMs(now + this.rollWindowMs, this.precision), this.readSlotMs);
      magic |= TimerMagic.ROLL;
    }
    return {
      slotMs,
      magic,
      prevPos: -1,
      commitLogOffset: rec.physicalOffset,
      size: rec.size,
      realTopicHash: javaStringHash(realTopic),
    };
  }

  private kickDequeueSoon(): void {
    // a unit linked into an already-due tick (catch-up after downtime, late enqueue) should not wait for the timer
    if (!this.options.manual && this.readSlotMs + this.precision <= this.now()) this.kickDequeue();
  }

  private kickDequeue(): void {
    if (this.stopped || this.dequeueRun) return;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    this.dequeueRun = this.dequeueDue()
      .then(() => undefined)
      .catch((err: unknown) => {
        this.options.logger.warn({ err }, 'timer delivery failed; retrying');
      })
      .finally(() => {
        this.dequeueRun = undefined;
        if (this.stopped || this.options.manual) return;
        const wait = Math.max(5, this.readSlotMs + this.precision - this.now());
        this.tickTimer = setTimeout(() => this.kickDequeue(), Math.min(wait, 60_000));
        this.tickTimer.unref();
      });
  }

  /** Takes and delivers every tick that has ended by now. Resolves with the number of units handled. */
  async dequeueDue(): Promise<number> {
    let put = 0;
    while (!this.stopped) {
      const taken = await this.withLock(async () => this.takeNextDueSlot());
      if (!taken) {
        this.deliveredUpToMs = this.readSlotMs;
        break;
      }
      let done = true;
      for await (const units of this.unitsOf(taken.slotMs, taken.entry)) {
        put += units.length;
        if (!(await this.deliverUnits(units))) {
          done = false;
          break;
        }
      }
      if (!done) break;
      this.deliveredUpToMs = taken.slotMs + this.precision;
    }
    return put;
  }

  /** Advances past ended ticks until one has units; empties that slot and hands it over. */
  private takeNextDueSlot(): { slotMs: number; entry: WheelEntry } | undefined {
    const now = this.now();
    while (this.readSlotMs + this.precision <= now) {
      const slotMs = this.readSlotMs;
      const entry = this.wheel.get(slotMs);
      this.readSlotMs += this.precision;
      if (!entry) continue;
      this.wheel.clear(slotMs);
      this.counters.pending -= entry.num;
      return { slotMs, entry };
    }
    return undefined;
  }

  /**
   * A taken slot's units, oldest first, in chunks. When they lie dense in the log (a burst sent together) the range
   * from the first to the last is read forward in large reads and delivery starts with the first chunk; otherwise
   * the chain is walked backwards from the last unit and reversed. An unreadable log part is logged as lost rather
   * than stalling every later tick.
   */
  private async *unitsOf(slotMs: number, entry: WheelEntry): AsyncGenerator<TakenUnit[]> {
    const belongs = (unit: TimerLogUnit) =>
      unit.writeTimeMs + unit.delayedTime === slotMs && (unit.magic & TimerMagic.DELETE) === 0;
    const take = (unit: TimerLogUnit): TakenUnit => ({
      magic: unit.magic,
      writeTimeMs: unit.writeTimeMs,
      commitLogOffset: unit.commitLogOffset,
    });
    let found = 0;
    try {
      const span = (entry.lastPos - entry.firstPos) / TIMER_LOG_UNIT_SIZE + 1;
      if (span <= entry.num * DENSE_FACTOR) {
        for await (const batch of this.log.range(entry.firstPos, entry.lastPos + TIMER_LOG_UNIT_SIZE)) {
          const units: TakenUnit[] = [];
          for (const { unit } of batch) if (belongs(unit)) units.push(take(unit));
          found += units.length;
          if (units.length > 0) yield units;
        }
        return;
      }
      const units: TakenUnit[] = [];
      let pos = entry.lastPos;
      for (let i = 0; i < entry.num && pos >= 0; i++) {
        const unit = await this.log.read(pos);
        if (!belongs(unit)) {
          this.options.logger.warn({ slotMs, pos }, 'timer slot chain leaves its slot; stopping the walk');
          break;
        }
        units.push(take(unit));
        pos = unit.prevPos;
      }
      units.reverse();
      found = units.length;
      yield units;
    } catch (err) {
      this.counters.lost += Math.max(0, entry.num - found);
      this.options.logger.error({ err, slotMs }, 'timer slot unreadable; its remaining timers are lost');
    }
  }

  /** Re-puts the units' messages (or rolls them). False when stopped before all went out. */
  private async deliverUnits(units: readonly TakenUnit[]): Promise<boolean> {
    const { store, logger } = this.options;
    for (let i = 0; i < units.length; i += DELIVER_CHUNK) {
      // records of a fresh burst come from memory: yield between chunks so a large tick never holds the event loop
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      const chunk = units.slice(i, i + DELIVER_CHUNK);
      const records = await Promise.all(chunk.map((u) => store.getRecordBytes(u.commitLogOffset)));
      let messages: { msg: MessageToStore; roll: boolean }[] = [];
      for (let k = 0; k < chunk.length; k++) {
        const unit = chunk[k]!;
        const bytes = records[k];
        if (!bytes) {
          this.counters.lost++;
          logger.error({ commitLogOffset: unit.commitLogOffset }, 'timer message lost: its CommitLog record is gone');
          continue;
        }
        let rec: ReturnType<typeof decodeRecord>;
        try {
          rec = decodeRecord(bytes);
        } catch (err) {
          this.counters.lost++;
          logger.error({ err, commitLogOffset: unit.commitLogOffset }, 'timer message unreadable');
          continue;
        }
        const roll = (unit.magic & TimerMagic.ROLL) !== 0;
        const msg = roll ? rollTimerMessage(rec, unit.writeTimeMs) : restoreTimerMessage(rec, unit.writeTimeMs);
        if (!msg) {
          logger.warn({ commitLogOffset: unit.commitLogOffset }, 'timer record without a usable REAL_TOPIC skipped');
          continue;
        }
        messages.push({ msg, roll });
      }
      while (messages.length > 0) {
        const results = await Promise.all(messages.map((m) => store.putMessage(m.msg)));
        const failed: typeof messages = [];
        results.forEach((r, k) => {
          if (r.status === 'PUT_OK' || r.status === 'FLUSH_DISK_TIMEOUT') {
            this.lastPutEnd = Math.max(this.lastPutEnd, r.physicalOffset + r.size);
            if (messages[k]!.roll) this.counters.rolled++;
            else this.counters.delivered++;
          } else {
            failed.push(messages[k]!);
            logger.warn({ status: r.status, remark: r.remark }, 'timer message put failed; retrying');
          }
        });
        messages = failed;
        if (failed.length === 0) break;
        if (this.stopped) return false;
        await new Promise((r) => setTimeout(r, RETRY_AFTER_FAILURE_MS));
      }
    }
    return true;
  }

  /** Flushes the TimerLog and wheel and writes config/timercheck (coalesced with a flush in progress). */
  flush(): Promise<void> {
    this.flushRun ??= this.flushNow(false).finally(() => {
      this.flushRun = undefined;
    });
    return this.flushRun;
  }

  private async flushNow(final: boolean): Promise<void> {
    const snap = await this.withLock(async () => ({
      queueOffset: this.queueOffset,
      writePos: this.log.writePos,
      readMs: this.deliveredUpToMs,
      physEnd: this.lastPutEnd,
    }));
    await this.log.flush();
    await this.wheel.flush();
    if (final) {
      // the store's own clean shutdown (after this) flushes the deliveries
      this.persistedReadMs = snap.readMs;
      this.candidates.length = 0;
    } else {
      const last = this.candidates[this.candidates.length - 1];
      if (!last || last.readMs !== snap.readMs) this.candidates.push({ readMs: snap.readMs, physEnd: snap.physEnd });
      const flushed = this.options.store.stats().commitLogFlushedOffset;
      while (this.candidates.length > 0 && this.candidates[0]!.physEnd <= flushed) {
        this.persistedReadMs = Math.max(this.persistedReadMs, this.candidates.shift()!.readMs);
      }
    }
    this.counter++;
    await saveTimerCheckpoint(this.checkpointPath, {
      lastReadTimeMs: this.persistedReadMs,
      lastTimerLogFlushPos: snap.writePos,
      lastTimerQueueOffset: snap.queueOffset,
      masterTimerQueueOffset: snap.queueOffset,
      stateVersion: 0,
      timestamp: this.now(),
      counter: this.counter,
    });
    await this.deleteDeliveredLogFiles();
  }

  /** Deletes TimerLog files whose every unit belongs to a tick already delivered and checkpointed. */
  private async deleteDeliveredLogFiles(): Promise<void> {
    let cutoff = -1;
    for (const start of this.log.fileStarts()) {
      const max = this.fileMaxSlot.get(start);
      if (max === undefined || max >= this.persistedReadMs) break;
      cutoff = start + this.log.segmentSize;
    }
    if (cutoff < 0) return;
    await this.withLock(async () => {
      const deleted = await this.log.deleteFilesBefore(cutoff);
      if (deleted > 0) {
        for (const start of [...this.fileMaxSlot.keys()])
          if (start + this.log.segmentSize <= cutoff && start < this.log.minPos) this.fileMaxSlot.delete(start);
        this.options.logger.info({ deleted }, 'delivered timer log files deleted');
      }
    });
  }
}

/** Bytes one pending timer costs on disk (TimerLog unit), for docs and the bench. */
export const TIMER_BYTES_PER_PENDING = TIMER_LOG_UNIT_SIZE;
