/**
 * Send headers (reference §3.1): SendMessageRequestHeader (code 10, and the logical form of every send),
 * SendMessageRequestHeaderV2 (codes 310, 320, 325: the same fields under one-letter names) and the response.
 */
import { ProtocolError } from '../../common/errors.js';
import { defineHeader, type HeaderOf, readBool, readInt, readLong, readString, TOPIC_RPC_FIELDS } from './header.js';

/**
 * SEND_MESSAGE (10) request, and what every V2 send decodes to. `queueId` < 0 ⇒ the broker picks a writable queue;
 * `batch` ⇒ the body is batch-encoded (§5.6); `bname` (5.x) is the target broker name (V2 `n`).
 */
export const SendMessageRequestHeader = defineHeader('SendMessageRequestHeader', {
  producerGroup: { type: 'string', required: true },
  topic: { type: 'string', required: true },
  defaultTopic: { type: 'string', required: true },
  defaultTopicQueueNums: { type: 'int', required: true },
  queueId: { type: 'int', required: true },
  sysFlag: { type: 'int', required: true },
  bornTimestamp: { type: 'long', required: true },
  flag: { type: 'int', required: true },
  properties: { type: 'string' },
  reconsumeTimes: { type: 'int' },
  unitMode: { type: 'bool' },
  batch: { type: 'bool' },
  maxReconsumeTimes: { type: 'int' },
  ...TOPIC_RPC_FIELDS,
});
export type SendMessageRequestHeader = HeaderOf<typeof SendMessageRequestHeader>;

/**
 * SEND_MESSAGE_V2 (310) / SEND_BATCH_MESSAGE (320) / SEND_REPLY_MESSAGE_V2 (325) request. Up to 4.9.x `k` and `m`
 * are always sent ("false"); 5.x omits them when unset. `n` (broker name) exists from 4.9.7 / 5.x.
 */
export const SendMessageRequestHeaderV2 = defineHeader('SendMessageRequestHeaderV2', {
  a: { type: 'string', required: true },
  b: { type: 'string', required: true },
  c: { type: 'string', required: true },
  d: { type: 'int', required: true },
  e: { type: 'int', required: true },
  f: { type: 'int', required: true },
  g: { type: 'long', required: true },
  h: { type: 'int', required: true },
  i: { type: 'string' },
  j: { type: 'int' },
  k: { type: 'bool' },
  l: { type: 'int' },
  m: { type: 'bool' },
  n: { type: 'string' },
  ns: TOPIC_RPC_FIELDS.ns,
  nsd: TOPIC_RPC_FIELDS.nsd,
  oway: TOPIC_RPC_FIELDS.oway,
  lo: TOPIC_RPC_FIELDS.lo,
});
export type SendMessageRequestHeaderV2 = HeaderOf<typeof SendMessageRequestHeaderV2>;

/** The V1 field each V2 letter stands for. */
export const SEND_V2_FIELD_NAMES = {
  a: 'producerGroup',
  b: 'topic',
  c: 'defaultTopic',
  d: 'defaultTopicQueueNums',
  e: 'queueId',
  f: 'sysFlag',
  g: 'bornTimestamp',
  h: 'flag',
  i: 'properties',
  j: 'reconsumeTimes',
  k: 'unitMode',
  l: 'maxReconsumeTimes',
  m: 'batch',
  n: 'bname',
} as const;

/** V2 → V1 (Java's createSendMessageRequestHeaderV1). */
export function sendHeaderFromV2(v2: SendMessageRequestHeaderV2): SendMessageRequestHeader {
  const v1: SendMessageRequestHeader = {
    producerGroup: v2.a,
    topic: v2.b,
    defaultTopic: v2.c,
    defaultTopicQueueNums: v2.d,
    queueId: v2.e,
    sysFlag: v2.f,
    bornTimestamp: v2.g,
    flag: v2.h,
  };
  if (v2.i !== undefined) v1.properties = v2.i;
  if (v2.j !== undefined) v1.reconsumeTimes = v2.j;
  if (v2.k !== undefined) v1.unitMode = v2.k;
  if (v2.l !== undefined) v1.maxReconsumeTimes = v2.l;
  if (v2.m !== undefined) v1.batch = v2.m;
  if (v2.n !== undefined) v1.bname = v2.n;
  if (v2.ns !== undefined) v1.ns = v2.ns;
  if (v2.nsd !== undefined) v1.nsd = v2.nsd;
  if (v2.oway !== undefined) v1.oway = v2.oway;
  if (v2.lo !== undefined) v1.lo = v2.lo;
  return v1;
}

/** V1 → V2 (Java's createSendMessageRequestHeaderV2). */
export function sendHeaderToV2(v1: SendMessageRequestHeader): SendMessageRequestHeaderV2 {
  const v2: SendMessageRequestHeaderV2 = {
    a: v1.producerGroup,
    b: v1.topic,
    c: v1.defaultTopic,
    d: v1.defaultTopicQueueNums,
    e: v1.queueId,
    f: v1.sysFlag,
    g: v1.bornTimestamp,
    h: v1.flag,
  };
  if (v1.properties !== undefined) v2.i = v1.properties;
  if (v1.reconsumeTimes !== undefined) v2.j = v1.reconsumeTimes;
  if (v1.unitMode !== undefined) v2.k = v1.unitMode;
  if (v1.maxReconsumeTimes !== undefined) v2.l = v1.maxReconsumeTimes;
  if (v1.batch !== undefined) v2.m = v1.batch;
  if (v1.bname !== undefined) v2.n = v1.bname;
  if (v1.ns !== undefined) v2.ns = v1.ns;
  if (v1.nsd !== undefined) v2.nsd = v1.nsd;
  if (v1.oway !== undefined) v2.oway = v1.oway;
  if (v1.lo !== undefined) v2.lo = v1.lo;
  return v2;
}

const V2 = 'SendMessageRequestHeaderV2';

/**
 * Decodes a V2 ext map straight into the V1 shape (the send hot path: one object, no intermediate V2 header).
 * Same errors as SendMessageRequestHeaderV2.decode; they name the V2 letter.
 */
export function decodeSendMessageV2(ext: Record<string, string> | undefined): SendMessageRequestHeader {
  if (ext === undefined || ext === null)
    throw new ProtocolError('MISSING_HEADER_FIELD', `the custom field <a> is null (${V2})`);
  const v1: SendMessageRequestHeader = {
    producerGroup: readString(V2, ext, 'a', true)!,
    topic: readString(V2, ext, 'b', true)!,
    defaultTopic: readString(V2, ext, 'c', true)!,
    defaultTopicQueueNums: readInt(V2, ext, 'd', true)!,
    queueId: readInt(V2, ext, 'e', true)!,
    sysFlag: readInt(V2, ext, 'f', true)!,
    bornTimestamp: readLong(V2, ext, 'g', true)!,
    flag: readInt(V2, ext, 'h', true)!,
  };
  const properties = readString(V2, ext, 'i', false);
  if (properties !== undefined) v1.properties = properties;
  const reconsumeTimes = readInt(V2, ext, 'j', false);
  if (reconsumeTimes !== undefined) v1.reconsumeTimes = reconsumeTimes;
  const unitMode = readBool(ext, 'k');
  if (unitMode !== undefined) v1.unitMode = unitMode;
  const maxReconsumeTimes = readInt(V2, ext, 'l', false);
  if (maxReconsumeTimes !== undefined) v1.maxReconsumeTimes = maxReconsumeTimes;
  const batch = readBool(ext, 'm');
  if (batch !== undefined) v1.batch = batch;
  const brokerName = readString(V2, ext, 'n', false);
  if (brokerName !== undefined) v1.bname = brokerName;
  const ns = readString(V2, ext, 'ns', false);
  if (ns !== undefined) v1.ns = ns;
  const nsd = readBool(ext, 'nsd');
  if (nsd !== undefined) v1.nsd = nsd;
  const oway = readBool(ext, 'oway');
  if (oway !== undefined) v1.oway = oway;
  const lo = readBool(ext, 'lo');
  if (lo !== undefined) v1.lo = lo;
  return v1;
}

/** The ext fields of a V2 request for `v1` (a..n, plus any 5.x RPC fields set). */
export function encodeSendMessageV2(v1: SendMessageRequestHeader): Record<string, string> {
  // Written out rather than SendMessageRequestHeaderV2.encode(sendHeaderToV2(v1)): the send hot path, one object
  // literal (one hidden class for every send) instead of an intermediate header and a keyed copy.
  const ext: Record<string, string> = {
    a: v1.producerGroup,
    b: v1.topic,
    c: v1.defaultTopic,
    d: String(v1.defaultTopicQueueNums),
    e: String(v1.queueId),
    f: String(v1.sysFlag),
    g: String(v1.bornTimestamp),
    h: String(v1.flag),
  };
  if (v1.properties != null) ext.i = v1.properties;
  if (v1.reconsumeTimes != null) ext.j = String(v1.reconsumeTimes);
  if (v1.unitMode != null) ext.k = String(v1.unitMode);
  if (v1.maxReconsumeTimes != null) ext.l = String(v1.maxReconsumeTimes);
  if (v1.batch != null) ext.m = String(v1.batch);
  if (v1.bname != null) ext.n = v1.bname;
  if (v1.ns != null) ext.ns = v1.ns;
  if (v1.nsd != null) ext.nsd = String(v1.nsd);
  if (v1.oway != null) ext.oway = String(v1.oway);
  if (v1.lo != null) ext.lo = String(v1.lo);
  return ext;
}

/**
 * SEND_MESSAGE response. `msgId` is the offset message id (comma-joined for batches); `transactionId` the message's
 * UNIQ_KEY. The broker also always adds MSG_REGION and TRACE_ON ext fields (see below).
 */
export const SendMessageResponseHeader = defineHeader('SendMessageResponseHeader', {
  msgId: { type: 'string', required: true },
  queueId: { type: 'int', required: true },
  queueOffset: { type: 'long', required: true },
  transactionId: { type: 'string' },
  batchUniqId: { type: 'string' },
  recallHandle: { type: 'string' },
});
export type SendMessageResponseHeader = HeaderOf<typeof SendMessageResponseHeader>;

/** Ext key of the broker's region in every send response; Java clients fail without it. */
export const MSG_REGION_EXT_KEY = 'MSG_REGION';
/** Ext key of the trace switch in every send response ("true"); Java clients fail without it. */
export const TRACE_ON_EXT_KEY = 'TRACE_ON';
/** Default broker `regionId`. */
export const DEFAULT_REGION_ID = 'DefaultRegion';
