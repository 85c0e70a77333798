import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RocketMQError } from '../common/errors.js';
import { type Logger, silentLogger } from '../common/logger.js';
import { tagsHashCode } from '../protocol/message/hash.js';
import { encodedHostLength, encodeHost, type HostAddress, lookupIp, parseIp } from '../protocol/message/host.js';
import { createOffsetMsgId } from '../protocol/message/message-id.js';
import { decodeProperties, KEY_SEPARATOR, MessageConst, splitKeys } from '../protocol/message/properties.js';
import {
  crc32Body,
  decodeRecord,
  MAX_SHORT_FIELD_BYTES,
  type MessageRecord,
  RECORD_FIXED_SIZE,
  RecordField,
  recordSize,
  storeTimestampPosition,
  writeRecordUnchecked,
} from '../protocol/message/record.js';
import { MessageSysFlag, transactionType } from '../protocol/message/sysflag.js';
import { type Checkpoint, CheckpointFile } from './checkpoint.js';
import { CommitLog, type ScannedRecord } from './commitlog.js';
import { resolveStoreConfig, type StoreConfig } from './config.js';
import { ConsumeQueue, CQ_BLANK_SIZE, CQ_ENTRY_SIZE, decodeConsumeQueueEntry } from './consume-queue.js';
import { CommitLogFlusher } from './flush.js';
import { IndexService } from './index-service.js';
import type {
  BoundaryType,
  GetMessageResult,
  MessageArrivedListener,
  MessageFilter,
  MessageStore,
  MessageToStore,
  PutMessageStatus,
  PutResult,
  QueryMessageResult,
  StoreStats,
} from './message-store.js';
import { acquireStoreLock, claimStoreDir, planRecovery } from './recovery.js';
import { type DiskUsageProbe, RetentionService, statfsDiskUsage } from './retention.js';

/** Options of {@link FileStore}. */
export interface FileStoreOptions {
  /** Store keys (typed values or a parsed broker.conf); defaults fill the rest. */
  config?: Partial<StoreConfig> | Map<string, string>;
  logger?: Logger;
  /** Wall clock (ms); injected by retention tests. */
  clock?: () => number;
  /** Disk use probe (ratio 0..1); injected by tests to simulate a full disk. */
  diskUsage?: DiskUsageProbe;
  /**
   * The ConsumeQueue tagsCode of a record re-dispatched by recovery when it is not the TAGS hash (the broker's
   * delay service answers the delivery time for SCHEDULE_TOPIC_XXXX records); undefined = TAGS hash.
   */
  tagsCodeOf?: (topic: string, properties: Record<string, string>, storeTimestamp: number) => number | undefined;
}

const TOPIC_PATTERN = /^[%|a-zA-Z0-9_-]+$/;
const ON_DISK_SCAN_ENTRIES = 800;
/** Largest queue id recovery accepts in a record (a damaged field beyond it ends the valid data). */
const MAX_QUEUE_ID = 65535;
/** sysFlag bits defined by RocketMQ (reference §5.2). */
const KNOWN_SYS_FLAGS = 0x7ff;

/** Valid topic: RocketMQ's characters, at most 127 chars (255 for %RETRY% and %DLQ% topics). */
export function isValidTopic(topic: string): boolean {
  const max = topic.startsWith('%RETRY%') || topic.startsWith('%DLQ%') ? 255 : 127;
  return topic.length > 0 && topic.length <= max && TOPIC_PATTERN.test(topic);
}

/**
 * The file-backed MessageStore (RocketMQ's DefaultMessageStore): CommitLog, ConsumeQueues, IndexFiles, flush,
 * checkpoint, crash recovery and retention under `storePathRootDir`. Appends are synchronous and serialized by the
 * event loop, so physical offsets follow append order and each record is dispatched to its ConsumeQueue and the
 * index before the next append: a reader never sees an undispatched message.
 */
export class FileStore implements MessageStore {
  readonly config: StoreConfig;
  readonly rootDir: string;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly storeHost: HostAddress;
  private readonly commitLog: CommitLog;
  private readonly index: IndexService;
  private readonly checkpointFile: CheckpointFile;
  private readonly flusher: CommitLogFlusher;
  private readonly retention: RetentionService;
  private readonly queues = new Map<string, Map<number, ConsumeQueue>>();
  private readonly listeners = new Set<MessageArrivedListener>();
  private running = false;
  /** A CommitLog write failure has been logged (see refusedAfterWriteError). */
  private writeErrorLogged = false;
  /** A ConsumeQueue or index flush failed: the checkpoint is not advanced again by this process. */
  private logicsFlushFailed = false;
  private logicsTimer: NodeJS.Timeout | undefined;
  private logicsChain: Promise<unknown> = Promise.resolve();
  /** A ConsumeQueue/index/checkpoint flush waiting to start, shared by callers arriving meanwhile. */
  private queuedLogics: Promise<void> | null = null;
  private lastStoreTimestamp = 0;
  /** Topics already found valid, with their UTF-8 bytes (written into every record of the topic). */
  private readonly validTopics = new Map<string, Buffer>();
  /** The store host as records carry it (IP bytes + int32 port), encoded once. */
  private readonly storeHostBytes: Buffer;
  private releaseLock: (() => void) | undefined;
  private readonly tagsCodeOf: FileStoreOptions['tagsCodeOf'];
  private readonly counters = { putCount: 0, putBytes: 0, putFailures: 0, getCount: 0, getFoundCount: 0 };

  constructor(options: FileStoreOptions = {}) {
    this.config = resolveStoreConfig(options.config ?? {});
    this.rootDir = expandHome(this.config.storePathRootDir);
    this.logger = (options.logger ?? silentLogger).child({ component: 'store' });
    this.clock = options.clock ?? Date.now;
    this.tagsCodeOf = options.tagsCodeOf;
    this.storeHost = { host: this.config.brokerIP1, port: this.config.listenPort };
    if (!parseIp(this.storeHost.host)) {
      throw new RocketMQError('CONFIG_INVALID', `brokerIP1 ${this.storeHost.host} is not an IP address`);
    }
    this.storeHostBytes = Buffer.alloc(encodedHostLength(this.storeHost));
    encodeHost(this.storeHost, this.storeHostBytes, 0);
    const commitLogDir = this.config.storePathCommitLog
      ? expandHome(this.config.storePathCommitLog)
      : path.join(this.rootDir, 'commitlog');
    if (this.config.mappedFileSizeConsumeQueue % CQ_ENTRY_SIZE !== 0) {
      throw new RocketMQError('CONFIG_INVALID', 'mappedFileSizeConsumeQueue must be a multiple of 20');
    }
    this.commitLog = new CommitLog(
      commitLogDir,
      this.config.mappedFileSizeCommitLog,
      this.config.writeBufferSize,
      this.config.tailCacheChunks,
    );
    this.index = new IndexService(this.rootDir, this.config.maxHashSlotNum, this.config.maxIndexNum, this.clock);
    this.checkpointFile = new CheckpointFile(path.join(this.rootDir, 'checkpoint'));
    this.flusher = new CommitLogFlusher(
      this.commitLog,
      this.config.flushDiskType,
      this.config.flushIntervalCommitLog,
      this.config.syncFlushTimeout,
      this.logger,
    );
    this.retention = new RetentionService(
      this.commitLog,
      this.rootDir,
      {
        fileReservedTimeHours: this.config.fileReservedTime,
        diskMaxUsedSpaceRatio: this.config.diskMaxUsedSpaceRatio,
        diskSpaceHardLimitRatio: this.config.diskSpaceHardLimitRatio,
        deleteIntervalMs: this.config.deleteCommitLogFilesInterval,
        checkIntervalMs: this.config.cleanResourceInterval,
      },
      this.clock,
      options.diskUsage ?? statfsDiskUsage,
      () => this.cleanLogics(),
      this.logger,
    );
  }

  private get abortPath(): string {
    return path.join(this.rootDir, 'abort');
  }

  /** Claims the directory, recovers, writes the abort marker and starts the flush and retention services. */
  async start(): Promise<void> {
    if (this.running) return;
    claimStoreDir(this.rootDir, {
      commitLog: this.config.mappedFileSizeCommitLog,
      consumeQueue: this.config.mappedFileSizeConsumeQueue,
    });
    this.releaseLock = acquireStoreLock(this.rootDir);
    try {
      await this.recover();
    } catch (err) {
      this.commitLog.close();
      for (const q of this.allQueues()) q.close();
      this.index.close();
      this.releaseLock();
      this.releaseLock = undefined;
      throw err;
    }
    fs.writeFileSync(this.abortPath, '');
    this.running = true;
    this.flusher.start();
    this.logicsTimer = setInterval(
      () => void this.flushLogics().catch(() => undefined),
      this.config.flushIntervalConsumeQueue,
    );
    this.logicsTimer.unref();
    this.retention.start();
    await this.retention.measure();
    // The checkpoint must describe the recovered state before anything new is appended.
    await this.flushLogics();
  }

  /** Loads the files and recovers per the abort marker and checkpoint (see planRecovery). */
  private async recover(): Promise<void> {
    fs.mkdirSync(path.join(this.rootDir, 'config'), { recursive: true });
    this.commitLog.load();
    const checkpoint = this.checkpointFile.read();
    const abortExists = fs.existsSync(this.abortPath);
    const lastSeg = this.commitLog.log.segments.at(-1);
    const plan = planRecovery(abortExists, checkpoint, this.commitLog.minOffset, lastSeg?.endOffset ?? 0);
    const started = Date.now();
    // Entries at or past the scan start are dropped and rebuilt by the scan (none after a clean shutdown).
    this.loadConsumeQueues(plan.scanFrom);
    this.index.load(plan.crashed);
    if (plan.crashed && lastSeg) this.logger.warn({ from: plan.scanFrom }, 'abnormal shutdown detected: recovering');
    let recovered = 0;
    const end = this.commitLog.scan(
      plan.scanFrom,
      this.maxRecordSize(),
      (rec) => {
        if (!this.plausible(rec)) return false;
        this.dispatchRecovered(rec);
        recovered++;
        return true;
      },
      this.logger,
    );
    this.commitLog.truncateTo(end);
    this.index.truncateFromPhyOffset(end);
    for (const q of this.allQueues()) await q.deleteExpired(this.commitLog.minOffset);
    this.logger.info(
      { crashed: plan.crashed, from: plan.scanFrom, end, recovered, ms: Date.now() - started },
      'store recovered',
    );
  }

  /**
   * Clean shutdown: everything flushed, checkpoint written, abort marker removed. When the final flush (or any
   * ConsumeQueue/index flush before it) failed, the files are closed anyway and the abort marker is kept.
   */
  async shutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.logicsTimer) clearInterval(this.logicsTimer);
    await this.retention.stop();
    let clean = true;
    try {
      await this.flusher.stop();
      await this.flushLogics();
      await this.commitLog.flush();
    } catch (err) {
      // The files are closed all the same; the abort marker stays, so the next start verifies the tail.
      clean = false;
      this.logger.error({ err }, 'final flush failed: the next start recovers as after a crash');
    }
    this.commitLog.close();
    for (const q of this.allQueues()) q.close();
    this.index.close();
    this.checkpointFile.close();
    if (clean && !this.logicsFlushFailed) fs.rmSync(this.abortPath, { force: true });
    this.releaseLock?.();
    this.releaseLock = undefined;
  }

  putMessage(msg: MessageToStore): Promise<PutResult> {
    const result = this.append(msg);
    if (result.status !== 'PUT_OK') return Promise.resolve(result);
    if (this.commitLog.log.unwrittenBytes > 2 * this.config.writeBufferSize) {
      return this.commitLog.log.drain().then(() => this.awaitFlush(result, result.physicalOffset + result.size));
    }
    return this.awaitFlush(result, result.physicalOffset + result.size);
  }

  async putMessages(batch: readonly MessageToStore[]): Promise<PutResult[]> {
    const results = batch.map((m) => this.append(m));
    if (this.commitLog.log.unwrittenBytes > 2 * this.config.writeBufferSize) await this.commitLog.log.drain();
    let end = 0;
    for (const r of results) if (r.status === 'PUT_OK') end = Math.max(end, r.physicalOffset + r.size);
    if (end === 0 || this.config.flushDiskType === 'ASYNC_FLUSH') return results;
    const ok = await this.flusher.waitFor(end);
    return ok ? results : results.map((r) => (r.status === 'PUT_OK' ? flushTimedOut(r) : r));
  }

  async getMessage(
    _group: string,
    topic: string,
    queueId: number,
    offset: number,
    maxMsgNums: number,
    maxBytes: number,
    filter?: MessageFilter,
  ): Promise<GetMessageResult> {
    this.counters.getCount++;
    const cq = this.queues.get(topic)?.get(queueId);
    const result: GetMessageResult = {
      status: 'NO_MESSAGE_IN_QUEUE',
      messages: [],
      queueOffsets: [],
      totalBytes: 0,
      nextBeginOffset: offset,
      minOffset: 0,
      maxOffset: 0,
      fromDisk: false,
    };
    if (!cq) {
      result.status = 'NO_MATCHED_LOGIC_QUEUE';
      result.nextBeginOffset = 0;
      return result;
    }
    const minOffset = cq.minLogicOffset;
    const maxOffset = cq.maxOffset;
    result.minOffset = minOffset;
    result.maxOffset = maxOffset;
    if (maxOffset === 0) {
      result.status = 'NO_MESSAGE_IN_QUEUE';
      result.nextBeginOffset = 0;
    } else if (offset < minOffset) {
      result.status = 'OFFSET_TOO_SMALL';
      result.nextBeginOffset = minOffset;
    } else if (offset === maxOffset) {
      result.status = 'OFFSET_OVERFLOW_ONE';
    } else if (offset > maxOffset) {
      result.status = 'OFFSET_OVERFLOW_BADLY';
      result.nextBeginOffset = minOffset === 0 ? minOffset : maxOffset;
    } else {
      await this.collect(cq, offset, Math.max(1, maxMsgNums), maxBytes, filter, result);
    }
    if (result.status === 'FOUND') this.counters.getFoundCount++;
    return result;
  }

  async lookMessageByOffset(physicalOffset: number): Promise<MessageRecord | undefined> {
    const bytes = await this.getRecordBytes(physicalOffset);
    if (!bytes) return undefined;
    try {
      const { size: _size, ...rec } = decodeRecord(bytes);
      return rec;
    } catch {
      return undefined;
    }
  }

  async getRecordBytes(physicalOffset: number): Promise<Buffer | undefined> {
    try {
      return await this.commitLog.readRecord(physicalOffset);
    } catch {
      return undefined;
    }
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number {
    return this.queues.get(topic)?.get(queueId)?.maxOffset ?? 0;
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    return this.queues.get(topic)?.get(queueId)?.minLogicOffset ?? 0;
  }

  /**
   * Binary search on store time: `lower` gives the first offset stored at or after `timestamp` (the max offset when
   * none is), `upper` the last one stored at or before it (the min offset when none is).
   */
  async getOffsetInQueueByTime(
    topic: string,
    queueId: number,
    timestamp: number,
    boundary: BoundaryType = 'lower',
  ): Promise<number> {
    const cq = this.queues.get(topic)?.get(queueId);
    if (!cq) return 0;
    let lo = cq.minLogicOffset;
    let hi = cq.maxOffset;
    if (boundary === 'lower') {
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const t = await this.storeTimeAt(cq, mid);
        if (t !== undefined && t >= timestamp) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    }
    const min = lo;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const t = await this.storeTimeAt(cq, mid);
      if (t === undefined || t <= timestamp) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(min, lo - 1);
  }

  async getEarliestMessageTime(topic: string, queueId: number): Promise<number> {
    const cq = this.queues.get(topic)?.get(queueId);
    if (!cq || cq.maxOffset <= cq.minLogicOffset) return -1;
    return (await this.storeTimeAt(cq, cq.minLogicOffset)) ?? -1;
  }

  async queryMessage(
    topic: string,
    key: string,
    maxNum: number,
    begin: number,
    end: number,
  ): Promise<QueryMessageResult> {
    let offsets: number[];
    try {
      offsets = await this.index.query(topic, key, maxNum, begin, end);
    } catch (err) {
      // An index file removed by retention under the lookup: answer what remains next time.
      this.logger.warn({ err }, 'index lookup failed');
      offsets = [];
    }
    const messages: Buffer[] = [];
    for (const off of offsets) {
      const bytes = await this.getRecordBytes(off);
      if (!bytes) continue;
      try {
        const rec = decodeRecord(bytes, 0, { readBody: false });
        const props = decodeProperties(rec.properties);
        const keys = (props[MessageConst.KEYS] ?? '').split(KEY_SEPARATOR);
        if (rec.topic === topic && (props[MessageConst.UNIQ_KEY] === key || keys.includes(key))) messages.push(bytes);
      } catch {
        // not a record any more: skip
      }
    }
    return {
      messages,
      indexLastUpdateTimestamp: this.index.lastIndexedTimestamp,
      indexLastUpdatePhyOffset: this.index.lastIndexedPhyOffset,
    };
  }

  getCommitLogMinOffset(): number {
    return this.commitLog.minOffset;
  }

  getCommitLogMaxOffset(): number {
    return this.commitLog.maxOffset;
  }

  async deleteTopics(topics: readonly string[]): Promise<number> {
    let removed = 0;
    for (const topic of topics) {
      const qs = this.queues.get(topic);
      if (!qs) continue;
      for (const q of qs.values()) {
        await q.flush().catch(() => undefined);
        q.destroy();
        removed++;
      }
      this.queues.delete(topic);
      fs.rmSync(path.join(this.rootDir, 'consumequeue', topic), { recursive: true, force: true });
    }
    return removed;
  }

  onMessageArrived(listener: MessageArrivedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): StoreStats {
    return {
      ...this.counters,
      commitLogMinOffset: this.commitLog.minOffset,
      commitLogMaxOffset: this.commitLog.maxOffset,
      commitLogFlushedOffset: this.commitLog.flushedOffset,
      commitLogFlushRounds: this.commitLog.log.flushRounds,
      diskUsedRatio: this.retention.diskRatio,
      writable: this.retention.writable,
    };
  }

  /** Flushes the CommitLog, then ConsumeQueues, index and checkpoint. */
  async flush(): Promise<void> {
    await this.commitLog.flush();
    await this.flushLogics();
  }

  /** One retention pass now (tests, admin). Returns the number of CommitLog segments deleted. */
  runRetention(): Promise<number> {
    return this.retention.runOnce();
  }

  /** Flushes ConsumeQueues and index, then writes the checkpoint. */
  flushLogics(): Promise<void> {
    if (this.queuedLogics) return this.queuedLogics;
    const run = this.logicsChain.then(async () => {
      this.queuedLogics = null;
      const dispatched = this.commitLog.maxOffset;
      const commitLogFlushed = this.commitLog.flushedOffset;
      const storeTime = this.lastStoreTimestamp;
      try {
        for (const q of this.allQueues()) await q.flush();
        await this.index.flush();
      } catch (err) {
        this.logicsFlushFailed = true;
        throw err;
      }
      // After a failed flush a later one may succeed without the lost pages on disk (see SegmentedLog
      // fatalSyncErrors): the checkpoint stays where it was, so the next start rebuilds everything after it.
      if (this.logicsFlushFailed) return;
      const cp: Checkpoint = {
        physicMsgTimestamp: storeTime,
        logicsMsgTimestamp: storeTime,
        indexMsgTimestamp: storeTime,
        masterFlushedOffset: 0,
        confirmPhyOffset: commitLogFlushed,
        commitLogFlushedOffset: commitLogFlushed,
        consumeQueueFlushedOffset: dispatched,
        indexFlushedOffset: dispatched,
      };
      await this.checkpointFile.write(cp);
    });
    this.queuedLogics = run;
    this.logicsChain = run.catch((err) => this.logger.error({ err }, 'consume queue / index flush failed'));
    return run;
  }

  private append(msg: MessageToStore): PutResult {
    if (!this.running) return this.refused('SERVICE_NOT_AVAILABLE', 'message store is not running');
    if (!this.retention.writable) {
      return this.refused('SERVICE_NOT_AVAILABLE', `disk full: use ${(this.retention.diskRatio * 100).toFixed(1)}%`);
    }
    const writeError = this.commitLog.log.writeError;
    if (writeError) return this.refusedAfterWriteError(writeError);
    const propsBytes = Buffer.byteLength(msg.properties, 'utf8');
    const illegal = this.validate(msg, propsBytes);
    if (illegal) return this.refused(illegal[0], illegal[1]);
    // Both known to be there: validate() checked the topic and the born host.
    const topic = this.validTopics.get(msg.topic)!;
    const bornIp = lookupIp(msg.bornHost.host)!;
    const size = recordSize(
      topic.length,
      msg.body.length,
      propsBytes,
      bornIp.length === 16,
      this.storeHostBytes.length === 20,
    );
    if (!this.commitLog.fits(size)) return this.refused('MESSAGE_ILLEGAL', `record of ${size} bytes exceeds a segment`);

    const tranType = transactionType(msg.sysFlag);
    const cq = toConsumeQueue(tranType) ? this.queueFor(msg.topic, msg.queueId) : undefined;
    const cqError = cq?.log.writeError;
    if (cqError) {
      // Checked before the record is written: its entry could not be added, so the message would be unreachable.
      return this.refused(
        'SERVICE_NOT_AVAILABLE',
        `the consume queue ${msg.topic}:${msg.queueId} cannot be written (${cqError.message})`,
      );
    }
    const queueOffset = cq ? cq.maxOffset : 0;
    const storeTimestamp = this.clock();
    this.commitLog.reserveRecord(size);
    const log = this.commitLog.log;
    const physicalOffset = log.reservedPos;
    writeRecordUnchecked(
      log.reservedBuf,
      log.reservedOff,
      size,
      msg,
      bornIp,
      topic,
      propsBytes,
      this.storeHostBytes,
      queueOffset,
      physicalOffset,
      storeTimestamp,
      crc32Body(msg.body),
    );
    let tags = msg.tags;
    let keys = msg.keys;
    let uniqKey = msg.uniqKey;
    if (tags === undefined && keys === undefined && uniqKey === undefined && msg.properties.length > 0) {
      const props = decodeProperties(msg.properties);
      tags = props[MessageConst.TAGS];
      keys = splitKeys(props[MessageConst.KEYS]);
      uniqKey = props[MessageConst.UNIQ_KEY];
    }
    this.dispatch(
      msg.topic,
      msg.queueId,
      queueOffset,
      tranType,
      physicalOffset,
      size,
      storeTimestamp,
      msg.tagsCode ?? tagsHashCode(tags),
      keys,
      uniqKey,
      cq,
    );
    this.counters.putCount++;
    this.counters.putBytes += size;
    return new AppendedResult(this.storeHost, physicalOffset, queueOffset, size, storeTimestamp);
  }

  /** SYNC_FLUSH: the result once the group commit covering `end` is done (FLUSH_DISK_TIMEOUT after the timeout). */
  private awaitFlush(result: PutResult, end: number): Promise<PutResult> {
    if (this.config.flushDiskType === 'ASYNC_FLUSH') return Promise.resolve(result);
    return this.flusher.waitForResult(end, result, flushTimedOut);
  }

  /**
   * A CommitLog write failed (I/O error, disk gone): like Java's store once it is not writeable, refuse every later
   * put with SERVICE_NOT_AVAILABLE; reads go on. Logged once.
   */
  private refusedAfterWriteError(err: Error): PutResult {
    if (!this.writeErrorLogged) {
      this.writeErrorLogged = true;
      this.logger.error({ err }, 'commitlog write failed: the store refuses every put from now on');
    }
    return this.refused(
      'SERVICE_NOT_AVAILABLE',
      `the CommitLog cannot be written (${err.message}), the store is read-only`,
    );
  }

  private refused(status: PutMessageStatus, remark: string): PutResult {
    this.counters.putFailures++;
    return { status, remark, physicalOffset: -1, queueOffset: -1, size: 0, msgId: '', storeTimestamp: 0 };
  }

  /** Refusal reasons checked before anything is written. Remembers valid topics with their UTF-8 length. */
  private validate(msg: MessageToStore, propsBytes: number): [PutMessageStatus, string] | undefined {
    if (!this.validTopics.has(msg.topic)) {
      if (!isValidTopic(msg.topic)) return ['MESSAGE_ILLEGAL', `invalid topic name ${JSON.stringify(msg.topic)}`];
      if (this.validTopics.size > 100_000) this.validTopics.clear();
      this.validTopics.set(msg.topic, Buffer.from(msg.topic, 'utf8'));
    }
    if (msg.body.length > this.config.maxMessageSize) {
      return [
        'MESSAGE_ILLEGAL',
        `body of ${msg.body.length} bytes exceeds maxMessageSize ${this.config.maxMessageSize}`,
      ];
    }
    if (propsBytes > MAX_SHORT_FIELD_BYTES) {
      return ['PROPERTIES_SIZE_EXCEEDED', `properties exceed ${MAX_SHORT_FIELD_BYTES} bytes`];
    }
    if (!isInt32(msg.queueId) || msg.queueId < 0) return ['MESSAGE_ILLEGAL', `invalid queue id ${msg.queueId}`];
    if (!isInt32(msg.flag) || !isInt32(msg.sysFlag) || !isInt32(msg.reconsumeTimes)) {
      return ['MESSAGE_ILLEGAL', 'flag, sysFlag or reconsumeTimes is not an int32'];
    }
    if (!Number.isSafeInteger(msg.bornTimestamp) || !Number.isSafeInteger(msg.preparedTransactionOffset)) {
      return ['MESSAGE_ILLEGAL', 'bornTimestamp or preparedTransactionOffset is not an integer'];
    }
    if (!lookupIp(msg.bornHost.host)) return ['MESSAGE_ILLEGAL', `invalid born host ${msg.bornHost.host}`];
    if (!isInt32(msg.bornHost.port)) return ['MESSAGE_ILLEGAL', `invalid born host port ${msg.bornHost.port}`];
    return undefined;
  }

  /** Adds an appended record to its ConsumeQueue (`queue` when the caller has it) and the index, then tells listeners. */
  private dispatch(
    topic: string,
    queueId: number,
    queueOffset: number,
    tranType: number,
    phy: number,
    size: number,
    storeTimestamp: number,
    tagsCode: number,
    keys: readonly string[] | undefined,
    uniqKey: string | undefined,
    queue: ConsumeQueue | undefined,
  ): void {
    this.lastStoreTimestamp = storeTimestamp;
    const toQueue = toConsumeQueue(tranType);
    if (toQueue) (queue ?? this.queueFor(topic, queueId)).put(queueOffset, phy, size, tagsCode);
    if (this.config.messageIndexEnable && tranType !== MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) {
      this.index.buildIndex(topic, uniqKey, keys, phy, storeTimestamp);
    }
    if (toQueue && this.running) {
      for (const l of this.listeners) {
        try {
          l(topic, queueId, queueOffset, tagsCode);
        } catch (err) {
          this.logger.warn({ err }, 'message arrival listener failed');
        }
      }
    }
  }

  /**
   * Recovery check of the fields the body CRC does not cover: a valid topic name, sane ids and flags, and a queue
   * offset that continues its ConsumeQueue exactly (an empty queue accepts any start).
   */
  private plausible(rec: ScannedRecord): boolean {
    if (!isValidTopic(rec.topic) || rec.queueId < 0 || rec.queueId > MAX_QUEUE_ID) return false;
    if ((rec.sysFlag & ~KNOWN_SYS_FLAGS) !== 0 || rec.storeTimestamp <= 0 || rec.queueOffset < 0) return false;
    if (!toConsumeQueue(transactionType(rec.sysFlag))) return true;
    const cq = this.queues.get(rec.topic)?.get(rec.queueId);
    if (!cq || cq.log.segments.length === 0) return true;
    return rec.queueOffset === cq.maxOffset;
  }

  private dispatchRecovered(rec: ScannedRecord): void {
    const props = rec.properties.length > 0 ? decodeProperties(rec.properties) : {};
    const special = this.tagsCodeOf?.(rec.topic, props, rec.storeTimestamp);
    this.dispatch(
      rec.topic,
      rec.queueId,
      rec.queueOffset,
      transactionType(rec.sysFlag),
      rec.physicalOffset,
      rec.size,
      rec.storeTimestamp,
      special ?? tagsHashCode(props[MessageConst.TAGS]),
      splitKeys(props[MessageConst.KEYS]),
      props[MessageConst.UNIQ_KEY],
      undefined,
    );
  }

  private async collect(
    cq: ConsumeQueue,
    offset: number,
    maxMsgNums: number,
    maxBytes: number,
    filter: MessageFilter | undefined,
    result: GetMessageResult,
  ): Promise<void> {
    const clMin = this.commitLog.minOffset;
    let next = offset;
    let filtered = false;
    let missing = false;
    let plannedBytes = 0;
    const maxScan = Math.max(ON_DISK_SCAN_ENTRIES, maxMsgNums);
    let scanned = 0;
    const wanted: { phyOffset: number; size: number; queueOffset: number }[] = [];
    // First the ConsumeQueue: which entries to fetch (limits and the tags filter), without touching the CommitLog.
    outer: while (next < cq.maxOffset && scanned < maxScan && wanted.length < maxMsgNums) {
      let entries: Buffer;
      try {
        entries = await cq.readEntries(next, Math.min(maxScan - scanned, cq.maxOffset - next));
      } catch {
        // The file went away under the read (retention): report what was found so far.
        missing = true;
        break;
      }
      if (entries.length === 0) break;
      for (let at = 0; at < entries.length; at += CQ_ENTRY_SIZE) {
        const e = decodeConsumeQueueEntry(entries, at);
        if (wanted.length >= maxMsgNums) break outer;
        if (wanted.length > 0 && plannedBytes + e.size > maxBytes) break outer;
        next++;
        scanned++;
        if (e.size === CQ_BLANK_SIZE || e.size <= 0 || e.phyOffset < clMin) {
          missing = true;
          continue;
        }
        if (filter && !filter.isMatchedByConsumeQueue(e.tagsCode)) {
          filtered = true;
          continue;
        }
        wanted.push({ phyOffset: e.phyOffset, size: e.size, queueOffset: next - 1 });
        plannedBytes += e.size;
      }
    }
    // Then the records, batched.
    if (wanted.length > 0) {
      result.fromDisk = !this.commitLog.log.isInMemory(wanted[0]!.phyOffset);
      let records: (Buffer | undefined)[];
      try {
        records = await this.commitLog.readBatch(wanted);
      } catch {
        records = [];
      }
      for (let k = 0; k < wanted.length; k++) {
        const bytes = records[k];
        if (!bytes) {
          missing = true;
          continue;
        }
        if (filter?.isMatchedByCommitLog && !filter.isMatchedByCommitLog(bytes)) {
          filtered = true;
          continue;
        }
        result.messages.push(bytes);
        result.queueOffsets.push(wanted[k]!.queueOffset);
        result.totalBytes += bytes.length;
      }
    }
    result.nextBeginOffset = next;
    result.status =
      result.messages.length > 0
        ? 'FOUND'
        : filtered
          ? 'NO_MATCHED_MESSAGE'
          : missing
            ? 'OFFSET_FOUND_NULL'
            : 'NO_MATCHED_MESSAGE';
  }

  private async storeTimeAt(cq: ConsumeQueue, logicOffset: number): Promise<number | undefined> {
    try {
      const e = await cq.entryAt(logicOffset);
      if (!e || e.size === CQ_BLANK_SIZE || e.size < RECORD_FIXED_SIZE) return undefined;
      const head = await this.commitLog.readSized(e.phyOffset, Math.min(e.size, 96));
      if (!head || head.length < 84) return undefined;
      const at = storeTimestampPosition(head.readInt32BE(RecordField.SYS_FLAG));
      return Number(head.readBigInt64BE(at));
    } catch {
      return undefined;
    }
  }

  private queueFor(topic: string, queueId: number): ConsumeQueue {
    let byId = this.queues.get(topic);
    if (!byId) {
      byId = new Map();
      this.queues.set(topic, byId);
    }
    let q = byId.get(queueId);
    if (!q) {
      q = new ConsumeQueue(
        path.join(this.rootDir, 'consumequeue'),
        topic,
        queueId,
        this.config.mappedFileSizeConsumeQueue,
      );
      byId.set(queueId, q);
    }
    return q;
  }

  private loadConsumeQueues(truncateFrom: number): void {
    const root = path.join(this.rootDir, 'consumequeue');
    if (!fs.existsSync(root)) return;
    for (const topic of fs.readdirSync(root)) {
      const topicDir = path.join(root, topic);
      if (!fs.statSync(topicDir).isDirectory()) continue;
      for (const id of fs.readdirSync(topicDir)) {
        if (!/^\d+$/.test(id)) continue;
        const q = this.queueFor(topic, Number(id));
        q.load();
        q.truncateFromPhyOffset(truncateFrom);
      }
    }
  }

  private *allQueues(): Iterable<ConsumeQueue> {
    for (const byId of this.queues.values()) yield* byId.values();
  }

  private maxRecordSize(): number {
    return this.config.maxMessageSize + RECORD_FIXED_SIZE + 2 * MAX_SHORT_FIELD_BYTES + 24 + 1;
  }

  /** After CommitLog segments were deleted: drop ConsumeQueue and index files whose data is gone. */
  private async cleanLogics(): Promise<void> {
    const min = this.commitLog.minOffset;
    for (const q of this.allQueues()) await q.deleteExpired(min);
    this.index.deleteExpired(min);
  }
}

/** A PUT_OK result whose offset message id is rendered only when read. */
class AppendedResult implements PutResult {
  readonly status = 'PUT_OK' as const;
  private id: string | undefined;

  constructor(
    private readonly storeHost: HostAddress,
    readonly physicalOffset: number,
    readonly queueOffset: number,
    readonly size: number,
    readonly storeTimestamp: number,
  ) {}

  get msgId(): string {
    this.id ??= createOffsetMsgId(this.storeHost, this.physicalOffset);
    return this.id;
  }
}

/**
 * The same append reported as FLUSH_DISK_TIMEOUT. Fields are copied by name: spreading an AppendedResult would drop
 * its lazily computed msgId getter.
 */
function flushTimedOut(r: PutResult): PutResult {
  return {
    status: 'FLUSH_DISK_TIMEOUT',
    physicalOffset: r.physicalOffset,
    queueOffset: r.queueOffset,
    size: r.size,
    msgId: r.msgId,
    storeTimestamp: r.storeTimestamp,
  };
}

/** PREPARED and ROLLBACK transaction records get no ConsumeQueue entry. */
function toConsumeQueue(tranType: number): boolean {
  return tranType === MessageSysFlag.TRANSACTION_NOT_TYPE || tranType === MessageSysFlag.TRANSACTION_COMMIT_TYPE;
}

function isInt32(n: number): boolean {
  return Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}
