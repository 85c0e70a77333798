/**
 * Dead letters of a consumer group (`%DLQ%<group>`, reference §6.5): listing them through ordinary pulls and
 * re-sending chosen ones to their original topic through an ordinary producer. Used by {@link Admin}.
 */
import { RocketMQError } from '../common/errors.js';
import type { MessageExt } from '../protocol/message/message.js';
import { MessageConst, RESERVED_PROPERTY_KEYS, TRANSIENT_PREFIX } from '../protocol/message/properties.js';
import type { ClientInstance } from './client-instance.js';
import { withNamespace, withoutNamespace } from './namespace.js';
import { Producer } from './producer.js';
import { getMinOffset, pullMessage, searchOffset } from './pull-api.js';
import { MASTER_ID, type MessageQueue, Perm } from './route.js';

/** Which dead letters to list. */
export interface DeadLetterQuery {
  /** Store-time range start (epoch ms, inclusive). Default 0. */
  begin?: number;
  /** Store-time range end (epoch ms, inclusive). Default: no end. */
  end?: number;
  /** Most messages returned. Default 1000. */
  max?: number;
}

/** Which dead letters to re-send: by id (UNIQ_KEY msgId or offset id), or all within a store-time range. */
export type DeadLetterSelection = { msgIds: readonly string[] } | { begin: number; end: number };

/** Outcome of {@link resendDeadLetters}. */
export interface ResendResult {
  /** Dead letters selected. */
  selected: number;
  /** Re-sent successfully. */
  resent: number;
  /** Sends that failed (see `errors`). */
  failed: number;
  /** Requested ids not found in the DLQ. */
  notFound: string[];
  errors: { msgId: string; error: string }[];
}

const DEFAULT_MAX = 1000;
const PULL_BATCH = 32;
/** Producer group the re-sends go out under. */
export const DLQ_RESEND_PRODUCER_GROUP = 'TOOLS_DLQ_RESEND_PRODUCER';

/** The topic a dead letter was consumed from: RETRY_TOPIC, else DLQ_ORIGIN_TOPIC. */
export function originalTopicOf(msg: MessageExt): string | undefined {
  return msg.properties[MessageConst.RETRY_TOPIC] ?? msg.properties[MessageConst.DLQ_ORIGIN_TOPIC];
}

/**
 * The user properties a re-sent dead letter keeps: everything but RocketMQ's reserved keys (retry, DLQ, delay,
 * ids, offsets...) and client-side transient keys. Tags and keys are carried separately.
 */
export function resendableProperties(properties: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(properties)) {
    if (!RESERVED_PROPERTY_KEYS.has(k) && !k.startsWith(TRANSIENT_PREFIX)) out[k] = v;
  }
  return out;
}

/**
 * The group's dead letters, oldest first per queue, with `topic` set to the original topic (the DLQ record's
 * properties are kept as stored). A group without a DLQ has none.
 */
export async function listDeadLetters(
  client: ClientInstance,
  group: string,
  query: DeadLetterQuery = {},
): Promise<MessageExt[]> {
  const namespace = client.options.namespace;
  const dlq = withNamespace(namespace, `%DLQ%${group}`);
  let route: Awaited<ReturnType<ClientInstance['getTopicRoute']>>;
  try {
    route = await client.getTopicRoute(dlq, true);
  } catch (err) {
    if (err instanceof RocketMQError && err.code === 'TOPIC_NOT_EXIST') return [];
    throw err;
  }
  const begin = query.begin ?? 0;
  const end = query.end ?? Number.MAX_SAFE_INTEGER;
  const max = query.max ?? DEFAULT_MAX;
  const out: MessageExt[] = [];
  for (const qd of route.queueDatas) {
    if ((qd.perm & Perm.READ) === 0) continue;
    const addr = route.brokerDatas.find((b) => b.brokerName === qd.brokerName)?.brokerAddrs[MASTER_ID];
    if (addr === undefined) continue;
    for (let queueId = 0; queueId < qd.readQueueNums && out.length < max; queueId++) {
      const mq: MessageQueue = { topic: dlq, brokerName: qd.brokerName, queueId };
      await collectQueue(client, addr, withNamespace(namespace, group), mq, { begin, end, max }, out);
    }
  }
  for (const m of out) m.topic = withoutNamespace(namespace, originalTopicOf(m) ?? m.topic);
  return out;
}

async function collectQueue(
  client: ClientInstance,
  addr: string,
  group: string,
  mq: MessageQueue,
  range: { begin: number; end: number; max: number },
  out: MessageExt[],
): Promise<void> {
  let offset =
    range.begin > 0 ? await searchOffset(client, addr, mq, range.begin) : await getMinOffset(client, addr, mq);
  while (out.length < range.max) {
    const result = await pullMessage(client, addr, {
      consumerGroup: group,
      mq,
      queueOffset: offset,
      maxMsgNums: PULL_BATCH,
      subscription: { subString: '*', expressionType: 'TAG', subVersion: 0, tagsSet: [] },
      suspendTimeoutMillis: 0,
      timeoutMs: client.options.requestTimeoutMs,
    });
    if (result.status === 'OFFSET_ILLEGAL' && result.nextBeginOffset !== offset) {
      offset = result.nextBeginOffset;
      continue;
    }
    if (result.status !== 'FOUND' || result.nextBeginOffset <= offset) return;
    offset = result.nextBeginOffset;
    for (const m of result.messages) {
      if (m.storeTimestamp > range.end) return;
      if (m.storeTimestamp < range.begin) continue;
      delete m.properties[MessageConst.MIN_OFFSET];
      delete m.properties[MessageConst.MAX_OFFSET];
      out.push(m);
      if (out.length >= range.max) return;
    }
  }
}

/**
 * Re-sends the selected dead letters to their original topics (a fresh message: same body, tags, keys, flag and
 * user properties; no retry/DLQ properties, so it is consumed as new). Messages whose original topic is unknown
 * count as failed.
 */
export async function resendDeadLetters(
  client: ClientInstance,
  group: string,
  selection: DeadLetterSelection,
): Promise<ResendResult> {
  const byIds = 'msgIds' in selection;
  const all = await listDeadLetters(
    client,
    group,
    byIds
      ? { max: Number.MAX_SAFE_INTEGER }
      : { begin: selection.begin, end: selection.end, max: Number.MAX_SAFE_INTEGER },
  );
  let chosen = all;
  const notFound: string[] = [];
  if (byIds) {
    const wanted = new Set(selection.msgIds);
    chosen = all.filter((m) => wanted.has(m.msgId) || wanted.has(m.offsetMsgId));
    const seen = new Set(chosen.flatMap((m) => [m.msgId, m.offsetMsgId]));
    for (const id of selection.msgIds) if (!seen.has(id)) notFound.push(id);
  }
  const result: ResendResult = { selected: chosen.length, resent: 0, failed: 0, notFound, errors: [] };
  if (chosen.length === 0) return result;
  const producer = new Producer({
    namesrvAddr: client.options.namesrvAddrs,
    namespace: client.options.namespace,
    groupName: DLQ_RESEND_PRODUCER_GROUP,
    client,
  });
  await producer.start();
  try {
    for (const m of chosen) {
      try {
        if (originalTopicOf(m) === undefined) throw new Error('no RETRY_TOPIC or DLQ_ORIGIN_TOPIC');
        await producer.send({
          topic: m.topic,
          body: m.body,
          tags: m.tags,
          keys: m.keys,
          flag: m.flag,
          properties: resendableProperties(m.properties),
        });
        result.resent++;
      } catch (err) {
        result.failed++;
        result.errors.push({ msgId: m.msgId, error: err instanceof Error ? err.message : String(err) });
      }
    }
  } finally {
    await producer.shutdown();
  }
  return result;
}
