/**
 * Delivery of delay-level messages (reference §6.3): one worker per level reads SCHEDULE_TOPIC_XXXX queue
 * level − 1 in order and re-puts each due message to its real topic and queue. Progress per level lives in
 * `config/delayOffset.json` (`{"offsetTable":{1:17,...}}`), written every flush interval and at shutdown.
 *
 * No busy polling: a level sleeps until its next entry is due, and a message arriving in an idle level wakes it.
 * A message is due once both its ConsumeQueue tagsCode (the delivery time written at put) and its store time plus
 * the level's delay have passed, so it is never delivered early, even after a recovery rebuilt the ConsumeQueue.
 */
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { createResponse } from '../protocol/command.js';
import { stringifyJson } from '../protocol/fastjson.js';
import { decodeRecord, type MessageRecord } from '../protocol/message/record.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { MessageStore, PutMessageStatus } from '../store/message-store.js';
import type { RequestHandler } from '../transport/dispatcher.js';
import type { HandlerTable } from './context.js';
import { restoreScheduledMessage } from './delay-levels.js';
import { JsonConfigFile } from './json-config-file.js';
import { RMQ_SYS_SCHEDULE_TOPIC } from './topic-validator.js';

/** Options of {@link ScheduleMessageService}. */
export interface ScheduleMessageServiceOptions {
  store: MessageStore;
  /** Delay of each level in ms, index 0 = level 1 (parseDelayLevels). */
  levels: readonly number[];
  /** The broker's config directory (delayOffset.json is written there). */
  configDir: string;
  logger: Logger;
  /** Wall clock (ms). */
  now?: () => number;
  /** How often progress is written, and idle levels re-checked (ms). Default 10 000. */
  flushIntervalMs?: number;
  /** Most messages one worker run delivers before yielding. Default 32. */
  batchSize?: number;
}

/** Consumer group name the workers read the schedule topic as (stats only). */
const SCHEDULE_GROUP = 'SCHEDULE_SERVICE';
/** Bytes one worker run reads at most. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Longest single sleep; longer waits re-arm (setTimeout takes 32-bit delays). */
const MAX_SLEEP_MS = 3_600_000;
/** Put outcomes a retry cannot fix: the message is skipped rather than blocking its level. */
const PERMANENT_PUT_FAILURES: ReadonlySet<PutMessageStatus> = new Set(['MESSAGE_ILLEGAL', 'PROPERTIES_SIZE_EXCEEDED']);
/** Pause after a failed put before the level tries again. */
const RETRY_AFTER_FAILURE_MS = 1000;

/** One level's worker state. */
interface LevelState {
  /** Next logical offset of the level's queue to deliver. */
  offset: number;
  timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (ms), for deciding whether a wake-up comes sooner. */
  timerAt: number;
  running: Promise<void> | undefined;
  /** A wake-up arrived while running: run again right after. */
  again: boolean;
}

/** Delivers delayed messages when due; see the module comment. */
export class ScheduleMessageService {
  private readonly options: ScheduleMessageServiceOptions;
  private readonly now: () => number;
  private readonly file: JsonConfigFile;
  private readonly states: LevelState[];
  private flushTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private dirty = false;

  constructor(options: ScheduleMessageServiceOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.file = new JsonConfigFile(join(options.configDir, 'delayOffset.json'));
    this.states = options.levels.map(() => ({
      offset: 0,
      timer: undefined,
      timerAt: 0,
      running: undefined,
      again: false,
    }));
  }

  /** Loads delayOffset.json, starts every level and listens for new schedule messages. */
  async start(): Promise<void> {
    const parsed = (await this.file.load()) as { offsetTable?: Record<string, unknown> } | undefined;
    for (const [key, value] of Object.entries(parsed?.offsetTable ?? {})) {
      const level = Number(key);
      const state = this.states[level - 1];
      if (state && typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) state.offset = value;
    }
    this.unsubscribe = this.options.store.onMessageArrived((topic, queueId, _offset, tagsCode) => {
      if (topic === RMQ_SYS_SCHEDULE_TOPIC) this.wake(queueId + 1, tagsCode);
    });
    const interval = this.options.flushIntervalMs ?? 10_000;
    this.flushTimer = setInterval(() => {
      void this.persist();
      // safety net for idle levels: a cheap look, in case a wake-up was missed
      for (let level = 1; level <= this.states.length; level++) {
        if (this.states[level - 1]!.timer === undefined) this.wake(level, this.now());
      }
    }, interval);
    this.flushTimer.unref();
    for (let level = 1; level <= this.states.length; level++) this.wake(level, this.now());
  }

  /** Next offset to deliver per level (1-based level → logical offset). */
  offsetTable(): Map<number, number> {
    return new Map(this.states.map((s, i) => [i + 1, s.offset]));
  }

  /** delayOffset.json's content (also the GET_ALL_DELAY_OFFSET body). */
  encode(): string {
    return stringifyJson({ offsetTable: this.offsetTable() }, { fastjson: true });
  }

  /** Stops the workers, waits for runs in progress and writes the progress. Idempotent. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.flushTimer) clearInterval(this.flushTimer);
    for (const state of this.states) {
      if (state.timer) clearTimeout(state.timer);
      state.timer = undefined;
    }
    await Promise.all(this.states.map((s) => s.running));
    this.dirty = true;
    await this.persist();
  }

  /** GET_ALL_DELAY_OFFSET (45): the delayOffset.json content as the body. */
  handlers(): HandlerTable {
    const handler: RequestHandler = (request) =>
      createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(this.encode(), 'utf8') });
    return new Map([[RequestCode.GET_ALL_DELAY_OFFSET, handler]]);
  }

  /** Arranges a run of `level` at time `at` (sooner wins over an armed later timer). */
  private wake(level: number, at: number): void {
    const state = this.states[level - 1];
    if (!state || this.stopped) return;
    if (state.running) {
      if (at <= this.now()) state.again = true;
      else this.arm(level, state, at);
      return;
    }
    this.arm(level, state, at);
  }

  private arm(level: number, state: LevelState, at: number): void {
    if (state.timer !== undefined && state.timerAt <= at) return;
    if (state.timer !== undefined) clearTimeout(state.timer);
    const wait = Math.min(Math.max(0, at - this.now()), MAX_SLEEP_MS);
    state.timerAt = this.now() + wait;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      this.run(level, state);
    }, wait);
    state.timer.unref();
  }

  private run(level: number, state: LevelState): void {
    if (this.stopped) return;
    if (state.running) {
      state.again = true;
      return;
    }
    state.again = false;
    state.running = this.deliverDue(level, state)
      .catch((err: unknown) => {
        this.options.logger.warn({ err, level }, 'delay level delivery failed; retrying');
        return this.now() + RETRY_AFTER_FAILURE_MS;
      })
      .then((next) => {
        state.running = undefined;
        if (this.stopped) return;
        if (state.again) this.arm(level, state, this.now());
        else if (next !== undefined) this.arm(level, state, next);
      });
  }

  /**
   * Delivers up to one batch of due messages of `level` in queue order. Resolves with when to run next: now when a
   * full batch went out, the next entry's due time, or undefined when the queue is drained (arrivals wake it).
   */
  private async deliverDue(level: number, state: LevelState): Promise<number | undefined> {
    const { store, levels } = this.options;
    const batch = this.options.batchSize ?? 32;
    const now = this.now();
    let notDueAt: number | undefined;
    const result = await store.getMessage(
      SCHEDULE_GROUP,
      RMQ_SYS_SCHEDULE_TOPIC,
      level - 1,
      state.offset,
      batch,
      MAX_BATCH_BYTES,
      {
        // entries are in due order: stop at the first one not yet due and remember when it is
        isMatchedByConsumeQueue: (tagsCode) => {
          if (notDueAt !== undefined) return false;
          if (tagsCode <= now) return true;
          notDueAt = tagsCode;
          return false;
        },
      },
    );
    if (result.status === 'OFFSET_TOO_SMALL' || result.status === 'OFFSET_OVERFLOW_BADLY') {
      this.options.logger.warn(
        { level, offset: state.offset, next: result.nextBeginOffset },
        'delay offset out of the queue range; corrected',
      );
      this.advance(state, result.nextBeginOffset);
      return now;
    }
    if (result.messages.length === 0) {
      if (notDueAt !== undefined) return notDueAt;
      // only removed or blank entries: step past them
      if (result.nextBeginOffset > state.offset && result.status === 'OFFSET_FOUND_NULL') {
        this.advance(state, result.nextBeginOffset);
        return now;
      }
      return undefined;
    }
    const delay = levels[level - 1] ?? 0;
    for (let i = 0; i < result.messages.length; i++) {
      if (this.stopped) return undefined;
      let rec: MessageRecord;
      try {
        rec = decodeRecord(result.messages[i]!);
      } catch (err) {
        this.options.logger.warn({ err, level, offset: result.queueOffsets[i] }, 'unreadable schedule record skipped');
        this.advance(state, result.queueOffsets[i]! + 1);
        continue;
      }
      const dueAt = rec.storeTimestamp + delay;
      if (dueAt > this.now()) return dueAt;
      const msg = restoreScheduledMessage(rec);
      if (msg) {
        const put = await store.putMessage(msg);
        if (PERMANENT_PUT_FAILURES.has(put.status)) {
          this.options.logger.error({ level, status: put.status, remark: put.remark }, 'delayed message dropped');
        } else if (put.status !== 'PUT_OK' && put.status !== 'FLUSH_DISK_TIMEOUT') {
          this.options.logger.warn({ level, status: put.status, remark: put.remark }, 'delayed message put failed');
          return this.now() + RETRY_AFTER_FAILURE_MS;
        }
      } else {
        this.options.logger.warn({ level, offset: result.queueOffsets[i] }, 'schedule record without REAL_TOPIC');
      }
      this.advance(state, result.queueOffsets[i]! + 1);
    }
    return result.messages.length >= batch || notDueAt === undefined ? this.now() : notDueAt;
  }

  private advance(state: LevelState, offset: number): void {
    state.offset = offset;
    this.dirty = true;
  }

  private async persist(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await this.file.save(this.encode());
    } catch (err) {
      this.dirty = true;
      this.options.logger.warn({ err }, 'cannot write delayOffset.json');
    }
  }
}
