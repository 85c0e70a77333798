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
 * Builds the client view of a record: properties decoded, ids derived, a compressed body inflated (COMPRESSED_FLAG
 * then cleared, as the Java consumer does). An unsupported or corrupt compressed body ⇒ ProtocolError RECORD_MALFORMED.
 */
export function toMessageExt(rec: MessageRecord): MessageExt {
  const properties = decodeProperties(rec.properties);
  const offsetMsgId = createOffsetMsgId(rec.storeHost, rec.physicalOffset);
  // A record decoded with readBody: false has an empty body: nothing to inflate.
  const compressed = (rec.sysFlag & MessageSysFlag.COMPRESSED_FLAG) !== 0 && rec.body.length > 0;
  return {
    topic: rec.topic,
    body: compressed ? uncompressBody(rec.body, rec.sysFlag) : rec.body,
    tags: properties[MessageConst.TAGS],
    keys: properties[MessageConst.KEYS],
    properties,
    msgId: properties[MessageConst.UNIQ_KEY] ?? offsetMsgId,
    offsetMsgId,
    queueId: rec.queueId,
    queueOffset: rec.queueOffset,
    commitLogOffset: rec.physicalOffset,
    bornTimestamp: rec.bornTimestamp,
    storeTimestamp: rec.storeTimestamp,
    bornHost: rec.bornHost,
    storeHost: rec.storeHost,
    reconsumeTimes: rec.reconsumeTimes,
    sysFlag: compressed ? rec.sysFlag & ~MessageSysFlag.COMPRESSED_FLAG : rec.sysFlag,
    flag: rec.flag,
    preparedTransactionOffset: rec.preparedTransactionOffset,
    bodyCrc: rec.bodyCrc,
  };
}
