import { isUtf8 } from 'node:buffer';
import { inflateSync } from 'node:zlib';
import { ProtocolError } from '../common/errors.js';
import { parseJson } from '../protocol/fastjson.js';
import type { DataVersion, QueueData, TopicConfig, TopicConfigWrapper } from './route-types.js';

/**
 * Decoders of the JSON bodies brokers and admin tools send the NameServer (reference §4.1, §4.3, §4.4). Pure; every
 * failure is a ProtocolError BODY_MALFORMED.
 */

/** Largest inflated size accepted for a compressed RegisterBrokerBody (a bound against zip bombs). */
export const MAX_INFLATED_REGISTER_BODY = 64 * 1024 * 1024;

/** Java's TopicConfig defaults for fields a body leaves out. */
const TOPIC_DEFAULTS = { readQueueNums: 16, writeQueueNums: 16, perm: 6, topicSysFlag: 0 } as const;

/** A decoded RegisterBrokerBody. */
export interface RegisterBrokerBody {
  topicConfigWrapper: TopicConfigWrapper;
  filterServerList: string[];
}

function malformed(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError('BODY_MALFORMED', message, cause === undefined ? undefined : { cause });
}

function parseBody(body: Buffer | string, what: string): unknown {
  // Brokers write String-keyed maps only, so their bodies are standard JSON: V8's parser first (several times faster
  // on a 10,000-topic registration), the tolerant fastjson reader for anything it refuses.
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const valid = typeof body === 'string' || !text.includes('\uFFFD') || isUtf8(body);
  try {
    if (valid) return JSON.parse(text);
  } catch {
    // not standard JSON (or not UTF-8): parseJson decides, and reports with a ProtocolError
  }
  try {
    return parseJson(body);
  } catch (cause) {
    throw malformed(`${what} is not JSON`, cause);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON number or numeric string that is a safe integer; `fallback` when absent. */
function integer(value: unknown, field: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw malformed(`${field} is not an integer`);
  return n;
}

/** DataVersion JSON `{counter, stateVersion?, timestamp}`. */
export function decodeDataVersion(value: unknown): DataVersion {
  if (!isObject(value)) throw malformed('dataVersion is not an object');
  return {
    counter: integer(value.counter, 'dataVersion.counter', 0),
    timestamp: integer(value.timestamp, 'dataVersion.timestamp', 0),
    stateVersion: integer(value.stateVersion, 'dataVersion.stateVersion', 0),
  };
}

/** The DataVersion body of QUERY_DATA_VERSION. */
export function decodeDataVersionBody(body: Buffer | undefined): DataVersion {
  if (!body || body.length === 0) throw malformed('QUERY_DATA_VERSION needs a DataVersion body');
  return decodeDataVersion(parseBody(body, 'DataVersion body'));
}

function decodeTopicConfig(name: string, value: unknown): TopicConfig {
  if (!isObject(value)) throw malformed(`topicConfigTable.${name} is not an object`);
  const topicName = typeof value.topicName === 'string' && value.topicName !== '' ? value.topicName : name;
  return {
    topicName,
    readQueueNums: integer(value.readQueueNums, `${name}.readQueueNums`, TOPIC_DEFAULTS.readQueueNums),
    writeQueueNums: integer(value.writeQueueNums, `${name}.writeQueueNums`, TOPIC_DEFAULTS.writeQueueNums),
    perm: integer(value.perm, `${name}.perm`, TOPIC_DEFAULTS.perm),
    topicSysFlag: integer(value.topicSysFlag, `${name}.topicSysFlag`, TOPIC_DEFAULTS.topicSysFlag),
  };
}

function decodeWrapper(value: unknown): TopicConfigWrapper {
  if (!isObject(value)) throw malformed('topicConfigSerializeWrapper is not an object');
  const table = value.topicConfigTable ?? {};
  if (!isObject(table)) throw malformed('topicConfigTable is not an object');
  const topicConfigTable = new Map<string, TopicConfig>();
  for (const [name, config] of Object.entries(table)) {
    const decoded = decodeTopicConfig(name, config);
    topicConfigTable.set(decoded.topicName, decoded);
  }
  const dataVersion =
    value.dataVersion === undefined
      ? { counter: 0, timestamp: 0, stateVersion: 0 }
      : decodeDataVersion(value.dataVersion);
  return { dataVersion, topicConfigTable };
}

function decodeStringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw malformed(`${field} is not a list of strings`);
  return value;
}

/**
 * RegisterBrokerBody, plain JSON (`compressed` false, what brokers send) or the deflate form (`compressed` true).
 * An empty body is an empty topic table.
 */
export function decodeRegisterBrokerBody(body: Buffer | undefined, compressed: boolean): RegisterBrokerBody {
  if (!body || body.length === 0) {
    return {
      topicConfigWrapper: { dataVersion: { counter: 0, timestamp: 0, stateVersion: 0 }, topicConfigTable: new Map() },
      filterServerList: [],
    };
  }
  if (compressed) return decodeCompressedRegisterBody(body);
  const json = parseBody(body, 'RegisterBrokerBody');
  if (!isObject(json)) throw malformed('RegisterBrokerBody is not an object');
  return {
    topicConfigWrapper: decodeWrapper(json.topicConfigSerializeWrapper ?? {}),
    filterServerList: decodeStringList(json.filterServerList, 'filterServerList'),
  };
}

/** Bounds-checked reader of the inflated compressed body: int32 length-prefixed sections. */
class SectionReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  int32(what: string): number {
    if (this.pos + 4 > this.buf.length) throw malformed(`compressed RegisterBrokerBody truncated at ${what}`);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  text(what: string): string {
    const len = this.int32(what);
    if (len < 0 || this.pos + len > this.buf.length)
      throw malformed(`compressed RegisterBrokerBody: bad ${what} length`);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
}

/** `TopicConfig.encode()` text: `name read write perm filterType [attributesJson]`, single spaces. */
function decodeTopicConfigText(text: string): TopicConfig {
  const parts = text.split(' ');
  if (parts.length < 5 || parts[0] === '') throw malformed(`bad topic config text "${text.slice(0, 80)}"`);
  const name = parts[0]!;
  return {
    topicName: name,
    readQueueNums: integer(parts[1], `${name}.readQueueNums`, 0),
    writeQueueNums: integer(parts[2], `${name}.writeQueueNums`, 0),
    perm: integer(parts[3], `${name}.perm`, 0),
    topicSysFlag: 0,
  };
}

function decodeCompressedRegisterBody(body: Buffer): RegisterBrokerBody {
  let raw: Buffer;
  try {
    raw = inflateSync(body, { maxOutputLength: MAX_INFLATED_REGISTER_BODY });
  } catch (cause) {
    throw malformed('compressed RegisterBrokerBody does not inflate', cause);
  }
  const reader = new SectionReader(raw);
  const dataVersion = decodeDataVersion(parseBody(reader.text('dataVersion'), 'dataVersion'));
  const count = reader.int32('topic count');
  if (count < 0 || count > raw.length) throw malformed(`compressed RegisterBrokerBody: bad topic count ${count}`);
  const topicConfigTable = new Map<string, TopicConfig>();
  for (let i = 0; i < count; i++) {
    const config = decodeTopicConfigText(reader.text('topic config'));
    topicConfigTable.set(config.topicName, config);
  }
  const filterServerList = decodeStringList(
    parseBody(reader.text('filterServerList'), 'filterServerList'),
    'filterServerList',
  );
  // 5.x appends static-topic mapping infos here; the NameServer does not serve static topics, so they are skipped.
  return { topicConfigWrapper: { dataVersion, topicConfigTable }, filterServerList };
}

/** The queueDatas of a TopicRouteData body (REGISTER_TOPIC_IN_NAMESRV). */
export function decodeRouteQueueDatas(body: Buffer | undefined): QueueData[] {
  if (!body || body.length === 0) return [];
  const json = parseBody(body, 'TopicRouteData');
  if (!isObject(json)) throw malformed('TopicRouteData is not an object');
  const list = json.queueDatas ?? [];
  if (!Array.isArray(list)) throw malformed('queueDatas is not a list');
  return list.map((q, i) => {
    if (!isObject(q) || typeof q.brokerName !== 'string') throw malformed(`queueDatas[${i}] has no brokerName`);
    return {
      brokerName: q.brokerName,
      readQueueNums: integer(q.readQueueNums, `queueDatas[${i}].readQueueNums`, 0),
      writeQueueNums: integer(q.writeQueueNums, `queueDatas[${i}].writeQueueNums`, 0),
      perm: integer(q.perm, `queueDatas[${i}].perm`, 6),
      topicSysFlag: integer(q.topicSysFlag ?? q.topicSynFlag, `queueDatas[${i}].topicSysFlag`, 0),
    };
  });
}
