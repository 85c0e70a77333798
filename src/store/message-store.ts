import type { HostAddress } from '../protocol/message/host.js';
import type { MessageRecord } from '../protocol/message/record.js';

/** What the send path hands to the store for one message. */
export interface MessageToStore {
  topic: string;
  queueId: number;
  flag: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostAddress;
  body: Buffer;
  /** The encoded properties string (reference §5.1). */
  properties: string;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  /** TAGS, already parsed from the properties (its hash is the ConsumeQueue tagsCode). */
  tags?: string;
  /** KEYS, already split on spaces; each is indexed. */
  keys?: readonly string[];
  /** UNIQ_KEY; indexed. */
  uniqKey?: string;
  /** Overrides the ConsumeQueue tagsCode (the delay topic stores the delivery time there). */
  tagsCode?: number;
}

/** PutMessageStatus, named as in the Java store. */
export type PutMessageStatus =
  | 'PUT_OK'
  | 'FLUSH_DISK_TIMEOUT'
  | 'SERVICE_NOT_AVAILABLE'
  | 'CREATE_MAPPED_FILE_FAILED'
  | 'MESSAGE_ILLEGAL'
  | 'PROPERTIES_SIZE_EXCEEDED'
  | 'OS_PAGE_CACHE_BUSY'
  | 'UNKNOWN_ERROR';

/** Outcome of one put. The offsets and id are set for PUT_OK and FLUSH_DISK_TIMEOUT (the record was appended). */
export interface PutResult {
  status: PutMessageStatus;
  /** Why a put was refused, for the response remark. */
  remark?: string;
  physicalOffset: number;
  queueOffset: number;
  size: number;
  /** Offset message id (store host + physical offset), uppercase hex. */
  msgId: string;
  storeTimestamp: number;
}

/** GetMessageStatus, named as in the Java store. */
export type GetMessageStatus =
  | 'FOUND'
  | 'NO_MATCHED_MESSAGE'
  | 'MESSAGE_WAS_REMOVING'
  | 'OFFSET_FOUND_NULL'
  | 'OFFSET_OVERFLOW_BADLY'
  | 'OFFSET_OVERFLOW_ONE'
  | 'OFFSET_TOO_SMALL'
  | 'NO_MATCHED_LOGIC_QUEUE'
  | 'NO_MESSAGE_IN_QUEUE';

/** Filters a pull: first by the ConsumeQueue tags code, then (optionally) by the stored record. */
export interface MessageFilter {
  isMatchedByConsumeQueue(tagsCode: number): boolean;
  isMatchedByCommitLog?(record: Buffer): boolean;
}

/** Result of {@link MessageStore.getMessage}. */
export interface GetMessageResult {
  status: GetMessageStatus;
  /** Raw records, back to back they are the pull response body. */
  messages: Buffer[];
  /** Logical offsets of `messages`. */
  queueOffsets: number[];
  totalBytes: number;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  /** True when the last record came from disk rather than memory. */
  fromDisk: boolean;
}

/** Result of {@link MessageStore.queryMessage}. */
export interface QueryMessageResult {
  messages: Buffer[];
  indexLastUpdateTimestamp: number;
  indexLastUpdatePhyOffset: number;
}

/** Counters a broker exposes (runtime info, metrics). */
export interface StoreStats {
  putCount: number;
  putBytes: number;
  putFailures: number;
  getCount: number;
  getFoundCount: number;
  commitLogMinOffset: number;
  commitLogMaxOffset: number;
  commitLogFlushedOffset: number;
  /** fdatasync rounds of the CommitLog so far. */
  commitLogFlushRounds: number;
  diskUsedRatio: number;
  writable: boolean;
}

/** Where `getOffsetInQueueByTime` lands when several messages share a time. */
export type BoundaryType = 'lower' | 'upper';

/** Called after a message is dispatched, with its queue and logical offset (long polling wakes on it). */
export type MessageArrivedListener = (topic: string, queueId: number, queueOffset: number, tagsCode: number) => void;

/** The storage engine as the broker sees it; the file store implements it and tests can fake it. */
export interface MessageStore {
  start(): Promise<void>;
  /** Clean shutdown: flushes everything, writes the checkpoint, removes the abort file. */
  shutdown(): Promise<void>;
  putMessage(msg: MessageToStore): Promise<PutResult>;
  /** Puts each message in order (consecutive queue offsets for one queue). */
  putMessages(batch: readonly MessageToStore[]): Promise<PutResult[]>;
  getMessage(
    group: string,
    topic: string,
    queueId: number,
    offset: number,
    maxMsgNums: number,
    maxBytes: number,
    filter?: MessageFilter,
  ): Promise<GetMessageResult>;
  /** The decoded record at a CommitLog offset, or undefined. */
  lookMessageByOffset(physicalOffset: number): Promise<MessageRecord | undefined>;
  /** The raw record bytes at a CommitLog offset, or undefined. */
  getRecordBytes(physicalOffset: number): Promise<Buffer | undefined>;
  getMaxOffsetInQueue(topic: string, queueId: number): number;
  getMinOffsetInQueue(topic: string, queueId: number): number;
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number, boundary?: BoundaryType): Promise<number>;
  /** Store time of the oldest message of the queue, or -1. */
  getEarliestMessageTime(topic: string, queueId: number): Promise<number>;
  queryMessage(topic: string, key: string, maxNum: number, begin: number, end: number): Promise<QueryMessageResult>;
  getCommitLogMinOffset(): number;
  getCommitLogMaxOffset(): number;
  deleteTopics(topics: readonly string[]): Promise<number>;
  onMessageArrived(listener: MessageArrivedListener): () => void;
  stats(): StoreStats;
}
