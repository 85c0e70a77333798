import type { Logger } from '../common/logger.js';
import { stringifyJson } from '../protocol/fastjson.js';
import type { ConsumerOffsets } from './context.js';
import { JsonConfigFile } from './json-config-file.js';

/** Separator of the `<topic>@<group>` keys of the offset table (topic names cannot contain it). */
const KEY_SEPARATOR = '@';

function tableKey(topic: string, group: string): string {
  return `${topic}${KEY_SEPARATOR}${group}`;
}

/**
 * Committed consumer offsets, `<topic>@<group>` → queueId → next offset to consume (Java's ConsumerOffsetManager),
 * persisted to consumerOffset.json as `{"offsetTable":{"TopicTest@cg1":{0:12}}}` in fastjson's form (unquoted queue
 * ids). A negative commit means "no offset" (ali-ons sends -1 for 0) and is ignored.
 */
export class ConsumerOffsetManager implements ConsumerOffsets {
  private readonly table = new Map<string, Map<number, number>>();
  private readonly file: JsonConfigFile;
  /** Bumped by every change; persist() skips writing when nothing changed since the last write. */
  private version = 0;
  private persistedVersion = -1;

  constructor(
    path: string,
    private readonly logger: Logger,
  ) {
    this.file = new JsonConfigFile(path);
  }

  /** Loads consumerOffset.json (or its .bak). */
  async load(): Promise<void> {
    const parsed = await this.file.load();
    if (parsed === undefined) return;
    const offsetTable = (parsed as { offsetTable?: unknown } | null)?.offsetTable;
    if (typeof offsetTable !== 'object' || offsetTable === null) return;
    for (const [key, queues] of Object.entries(offsetTable)) {
      if (!key.includes(KEY_SEPARATOR) || typeof queues !== 'object' || queues === null) continue;
      const offsets = new Map<number, number>();
      for (const [queueId, offset] of Object.entries(queues)) {
        const id = Number(queueId);
        if (Number.isInteger(id) && typeof offset === 'number' && Number.isFinite(offset) && offset >= 0) {
          offsets.set(id, offset);
        }
      }
      if (offsets.size > 0) this.table.set(key, offsets);
    }
    this.persistedVersion = this.version;
    this.logger.info({ path: this.file.path, entries: this.table.size }, 'consumer offsets loaded');
  }

  /** Writes the table if it changed since the last write (temp file + rename, previous copy kept as .bak). */
  async persist(): Promise<void> {
    const version = this.version;
    if (version === this.persistedVersion) return;
    await this.file.save(this.encode());
    this.persistedVersion = version;
  }

  /** The file content: `{"offsetTable":{...}}` with unquoted integer queue ids, as fastjson writes it. */
  encode(): string {
    const offsetTable = new Map<string, Map<number, number>>();
    for (const [key, offsets] of this.table) offsetTable.set(key, offsets);
    return stringifyJson({ offsetTable }, { fastjson: true });
  }

  query(group: string, topic: string, queueId: number): number {
    return this.table.get(tableKey(topic, group))?.get(queueId) ?? -1;
  }

  commit(clientHost: string, group: string, topic: string, queueId: number, offset: number): void {
    if (!Number.isFinite(offset) || offset < 0) {
      this.logger.debug({ clientHost, group, topic, queueId, offset }, 'negative offset commit ignored');
      return;
    }
    const key = tableKey(topic, group);
    let offsets = this.table.get(key);
    if (offsets === undefined) {
      offsets = new Map();
      this.table.set(key, offsets);
    }
    if (offsets.get(queueId) === offset) return;
    offsets.set(queueId, offset);
    this.version++;
  }

  /** queueId → offset of one group on one topic (empty when none). */
  offsetsOf(group: string, topic: string): Map<number, number> {
    return new Map(this.table.get(tableKey(topic, group)) ?? []);
  }

  /** Topics a group has committed offsets for. */
  topicsOf(group: string): string[] {
    const topics: string[] = [];
    for (const key of this.table.keys()) {
      const at = key.indexOf(KEY_SEPARATOR);
      if (key.slice(at + 1) === group) topics.push(key.slice(0, at));
    }
    return topics;
  }

  /** Groups that have committed offsets on a topic (QUERY_TOPIC_CONSUME_BY_WHO). */
  groupsOf(topic: string): string[] {
    const prefix = `${topic}${KEY_SEPARATOR}`;
    const groups: string[] = [];
    for (const key of this.table.keys()) if (key.startsWith(prefix)) groups.push(key.slice(prefix.length));
    return groups;
  }

  /** Forgets every offset of a group (DELETE_SUBSCRIPTIONGROUP with cleanOffset). Returns how many topics. */
  removeGroup(group: string): number {
    let count = 0;
    for (const topic of this.topicsOf(group)) {
      this.table.delete(tableKey(topic, group));
      count++;
    }
    if (count > 0) this.version++;
    return count;
  }

  /** Forgets every offset on a topic (the topic was deleted). */
  removeTopic(topic: string): void {
    const prefix = `${topic}${KEY_SEPARATOR}`;
    for (const key of [...this.table.keys()]) {
      if (key.startsWith(prefix)) {
        this.table.delete(key);
        this.version++;
      }
    }
  }
}
