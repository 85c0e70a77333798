/**
 * The client-facing view of a stored message (Java's `MessageExt`), built from a decoded CommitLog record.
 */
import { uncompressBody } from './compression.js';
import type { HostAddress } from './host.js';
import { createOffsetMsgId } from './message-id.js';
import { decodeProperties, MessageConst } from './properties.js';
import type { MessageRecord } from './record.js';
import { MessageSysFlag } from './sysflag.js';

/** A received message. */
export interface MessageExt {
  topic: string;
  /** Plain (inflated) body. */
  body: Buffer;
  tags: string | undefined;
  keys: string | undefined;
  /** Decoded properties (null prototype). */
  properties: Record<string, string>;
  /** UNIQ_KEY when the message has one, else the offset message id. */
  msgId: string;
  /** Store host + CommitLog offset id (reference §5.9). */
  offsetMsgId: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  bornTimestamp: number;
  storeTimestamp: number;
  bornHost: HostAddress;
  storeHost: HostAddress;
  reconsumeTimes: number;
  /** Stored sysFlag, without COMPRESSED_FLAG once the body was inflated. */
  sysFlag: number;
  flag: number;
  preparedTransactionOffset: number;
  bodyCrc: number;
}

/**
 * A received message whose properties string is decoded, and whose offset message id is rendered, on first use.
 * Why: a consumer receives messages by the hundred thousand a second and many handlers read only the body; decoding
 * every properties string into an object and hex-formatting every offset id was about an eighth of the consumer's
 * CPU while draining a backlog. Correct because the raw properties string and the offset id's inputs are immutable
 * record fields kept here; the first read of `properties` (directly or through `tags`, `keys`, `msgId`) decodes them
 * once and every later read and write goes to that same object, as with an eagerly built message. Extra properties
 * stamped before that (MIN_OFFSET / MAX_OFFSET of a pull) are added to the decoded object, after the stored ones.
 */
export class ReceivedMessage implements MessageExt {
  topic: string;
  body: Buffer;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  bornTimestamp: number;
  storeTimestamp: number;
  bornHost: HostAddress;
  storeHost: HostAddress;
  reconsumeTimes: number;
  sysFlag: number;
  flag: number;
  preparedTransactionOffset: number;
  bodyCrc: number;
  /** The stored properties string; dropped once decoded. */
  private raw: string;
  private decoded: Record<string, string> | undefined;
  /** MIN_OFFSET / MAX_OFFSET stamped by a pull before the properties were decoded. */
  private pullOffsets: [string, string] | undefined;
  private offsetId: string | undefined;
  /** Values assigned to tags / keys / msgId (they are otherwise derived from the properties). */
  private overrides: { tags?: string | undefined; keys?: string | undefined; msgId?: string } | undefined;

  constructor(rec: MessageRecord) {
    // A record decoded with readBody: false has an empty body: nothing to inflate.
    const compressed = (rec.sysFlag & MessageSysFlag.COMPRESSED_FLAG) !== 0 && rec.body.length > 0;
    this.topic = rec.topic;
    this.body = compressed ? uncompressBody(rec.body, rec.sysFlag) : rec.body;
    this.queueId = rec.queueId;
    this.queueOffset = rec.queueOffset;
    this.commitLogOffset = rec.physicalOffset;
    this.bornTimestamp = rec.bornTimestamp;
    this.storeTimestamp = rec.storeTimestamp;
    this.bornHost = rec.bornHost;
    this.storeHost = rec.storeHost;
    this.reconsumeTimes = rec.reconsumeTimes;
    this.sysFlag = compressed ? rec.sysFlag & ~MessageSysFlag.COMPRESSED_FLAG : rec.sysFlag;
    this.flag = rec.flag;
    this.preparedTransactionOffset = rec.preparedTransactionOffset;
    this.bodyCrc = rec.bodyCrc;
    this.raw = rec.properties;
    this.decoded = undefined;
    this.pullOffsets = undefined;
    this.offsetId = undefined;
    this.overrides = undefined;
  }

  get properties(): Record<string, string> {
    if (this.decoded === undefined) {
      const props = decodeProperties(this.raw);
      if (this.pullOffsets !== undefined) {
        props[MessageConst.MIN_OFFSET] = this.pullOffsets[0];
        props[MessageConst.MAX_OFFSET] = this.pullOffsets[1];
        this.pullOffsets = undefined;
      }
      this.decoded = props;
      this.raw = '';
    }
    return this.decoded;
  }

  set properties(value: Record<string, string>) {
    this.decoded = value;
    this.raw = '';
    this.pullOffsets = undefined;
  }

  get tags(): string | undefined {
    return this.overrides && 'tags' in this.overrides ? this.overrides.tags : this.properties[MessageConst.TAGS];
  }

  set tags(value: string | undefined) {
    (this.overrides ??= {}).tags = value;
  }

  get keys(): string | undefined {
    return this.overrides && 'keys' in this.overrides ? this.overrides.keys : this.properties[MessageConst.KEYS];
  }

  set keys(value: string | undefined) {
    (this.overrides ??= {}).keys = value;
  }

  get msgId(): string {
    return this.overrides?.msgId ?? this.properties[MessageConst.UNIQ_KEY] ?? this.offsetMsgId;
  }

  set msgId(value: string) {
    (this.overrides ??= {}).msgId = value;
  }

  get offsetMsgId(): string {
    this.offsetId ??= createOffsetMsgId(this.storeHost, this.commitLogOffset);
    return this.offsetId;
  }

  set offsetMsgId(value: string) {
    this.offsetId = value;
  }

  /** Sets MIN_OFFSET and MAX_OFFSET (what a pull stamps on each message) without decoding the properties. */
  stampPullOffsets(minOffset: string, maxOffset: string): void {
    if (this.decoded === undefined) {
      this.pullOffsets = [minOffset, maxOffset];
    } else {
      this.decoded[MessageConst.MIN_OFFSET] = minOffset;
      this.decoded[MessageConst.MAX_OFFSET] = maxOffset;
    }
  }

  /** The fields of {@link MessageExt} as a plain object (JSON.stringify and logs show these, not the internals). */
  toJSON(): MessageExt {
    return {
      topic: this.topic,
      body: this.body,
      tags: this.tags,
      keys: this.keys,
      properties: this.properties,
      msgId: this.msgId,
      offsetMsgId: this.offsetMsgId,
      queueId: this.queueId,
      queueOffset: this.queueOffset,
      commitLogOffset: this.commitLogOffset,
      bornTimestamp: this.bornTimestamp,
      storeTimestamp: this.storeTimestamp,
      bornHost: this.bornHost,
      storeHost: this.storeHost,
      reconsumeTimes: this.reconsumeTimes,
      sysFlag: this.sysFlag,
      flag: this.flag,
      preparedTransactionOffset: this.preparedTransactionOffset,
      bodyCrc: this.bodyCrc,
    };
  }
}

/**
 * Builds the client view of a record: ids derived, a compressed body inflated (COMPRESSED_FLAG then cleared, as
 * the Java consumer does), properties decoded on first use. An unsupported or corrupt compressed body ⇒
 * ProtocolError RECORD_MALFORMED.
 */
export function toMessageExt(rec: MessageRecord): ReceivedMessage {
  return new ReceivedMessage(rec);
}
