/**
 * Consumer offsets on the client side (reference §6.9). An offset is the next queue offset to consume.
 * - {@link RemoteBrokerOffsetStore} (CLUSTERING): kept in memory, read from and written to the broker that hosts the
 *   queue (QUERY_CONSUMER_OFFSET / UPDATE_CONSUMER_OFFSET), persisted every 5 s and on shutdown by the consumer.
 * - {@link LocalFileOffsetStore} (BROADCASTING): one JSON file per client and group,
 *   `<dir>/<clientId>/<group>/offsets.json`, in Java's OffsetSerializeWrapper shape.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RocketMQError } from '../common/errors.js';
import { parseJson, stringifyJson } from '../protocol/fastjson.js';
import type { ClientInstance } from './client-instance.js';
import {
  type BrokerInvoker,
  getMaxOffset,
  queryConsumerOffset,
  searchOffset,
  updateConsumerOffset,
} from './pull-api.js';
import { type MessageQueue, mqKey } from './route.js';

/** Where {@link OffsetStore.read} looks: memory only, the store only, or memory then the store. */
export type ReadOffsetType = 'MEMORY' | 'STORE' | 'MEMORY_FIRST_THEN_STORE';

/** The client-side offset table of one consumer group. */
export interface OffsetStore {
  /** Loads persisted offsets (local file store); a no-op for the broker store. */
  load(): Promise<void>;
  /** Records `offset` for `mq`; with `increaseOnly`, a smaller offset than the recorded one is ignored. */
  update(mq: MessageQueue, offset: number, increaseOnly: boolean): void;
  /** The offset of `mq`, or -1 when there is none. Store reads update memory. */
  read(mq: MessageQueue, type: ReadOffsetType): Promise<number>;
  /** Persists the offsets of `mqs` (all remembered queues when omitted). Failures are reported, not thrown. */
  persistAll(mqs?: readonly MessageQueue[]): Promise<void>;
  /** Persists one queue's offset, awaiting the broker's answer (remote) or the file write (local). */
  persist(mq: MessageQueue): Promise<void>;
  /** Forgets `mq` (it was taken away by a rebalance). */
  remove(mq: MessageQueue): void;
  /** Every remembered queue and its offset. */
  entries(): { mq: MessageQueue; offset: number }[];
}

interface OffsetEntry {
  mq: MessageQueue;
  offset: number;
  /** Set when the entry left the table (remove), so a cached reference to it is no longer used. */
  removed: boolean;
}

/** The in-memory table both stores share. */
abstract class MemoryOffsetTable {
  protected readonly table = new Map<string, OffsetEntry>();
  /**
   * The entry last found for a queue object. The consume path updates the same queue object's offset once per
   * message; looking the entry up by object identity spares building and hashing its string key each time. Checked
   * against the entry's own copy of the queue's fields on every use, so a mutated or removed queue is looked up anew.
   */
  private readonly byObject = new WeakMap<MessageQueue, OffsetEntry>();

  update(mq: MessageQueue, offset: number, increaseOnly: boolean): void {
    if (offset < 0) return;
    let entry = this.cachedEntry(mq);
    if (entry === undefined) {
      const key = mqKey(mq);
      entry = this.table.get(key);
      if (entry === undefined) {
        entry = { mq: { ...mq }, offset, removed: false };
        this.table.set(key, entry);
      }
      this.byObject.set(mq, entry);
    }
    if (!increaseOnly || offset > entry.offset) entry.offset = offset;
  }

  protected memory(mq: MessageQueue): number {
    return (this.cachedEntry(mq) ?? this.table.get(mqKey(mq)))?.offset ?? -1;
  }

  remove(mq: MessageQueue): void {
    const key = mqKey(mq);
    const entry = this.table.get(key);
    if (entry !== undefined) entry.removed = true;
    this.table.delete(key);
  }

  private cachedEntry(mq: MessageQueue): OffsetEntry | undefined {
    const e = this.byObject.get(mq);
    return e !== undefined &&
      !e.removed &&
      e.mq.queueId === mq.queueId &&
      e.mq.topic === mq.topic &&
      e.mq.brokerName === mq.brokerName
      ? e
      : undefined;
  }

  entries(): { mq: MessageQueue; offset: number }[] {
    return [...this.table.values()].map((e) => ({ mq: { ...e.mq }, offset: e.offset }));
  }
}

/** What the broker store needs: the invoker and the master address of a broker name (refreshing routes if needed). */
export interface RemoteOffsetStoreDeps {
  client: BrokerInvoker;
  /** The master address of `brokerName`, or undefined when unknown. */
  brokerAddress(brokerName: string): Promise<string | undefined>;
  /** Told about persist failures (logged by the consumer). */
  onError?(err: unknown, mq: MessageQueue): void;
}

/** CLUSTERING offsets: the broker holds them; this is the client's cache and writer. */
export class RemoteBrokerOffsetStore extends MemoryOffsetTable implements OffsetStore {
  constructor(
    private readonly deps: RemoteOffsetStoreDeps,
    private readonly group: string,
  ) {
    super();
  }

  async load(): Promise<void> {}

  async read(mq: MessageQueue, type: ReadOffsetType): Promise<number> {
    if (type !== 'STORE') {
      const inMemory = this.memory(mq);
      if (inMemory >= 0 || type === 'MEMORY') return inMemory;
    }
    const addr = await this.addressOf(mq);
    const offset = await queryConsumerOffset(this.deps.client, addr, this.group, mq);
    if (offset >= 0) this.update(mq, offset, false);
    return offset;
  }

  async persist(mq: MessageQueue): Promise<void> {
    const offset = this.memory(mq);
    if (offset < 0) return;
    await updateConsumerOffset(this.deps.client, await this.addressOf(mq), this.group, mq, offset, false);
  }

  async persistAll(mqs?: readonly MessageQueue[]): Promise<void> {
    const targets = mqs ?? [...this.table.values()].map((e) => e.mq);
    await Promise.all(
      targets.map(async (mq) => {
        const offset = this.memory(mq);
        if (offset < 0) return;
        try {
          await updateConsumerOffset(this.deps.client, await this.addressOf(mq), this.group, mq, offset, true);
        } catch (err) {
          this.deps.onError?.(err, mq);
        }
      }),
    );
  }

  private async addressOf(mq: MessageQueue): Promise<string> {
    const addr = await this.deps.brokerAddress(mq.brokerName);
    if (addr === undefined) throw new RocketMQError('SERVICE_NOT_AVAILABLE', `broker ${mq.brokerName} is not known`);
    return addr;
  }
}

/** Default directory of local offset files, as Java's `rocketmq.client.localOffsetStoreDir`: ~/.rocketmq_offsets. */
export function defaultLocalOffsetDir(): string {
  return process.env.ROCKETMQ_CLIENT_LOCAL_OFFSET_STORE_DIR ?? join(homedir(), '.rocketmq_offsets');
}

/** BROADCASTING offsets: a JSON file per client and group. */
export class LocalFileOffsetStore extends MemoryOffsetTable implements OffsetStore {
  /** The offsets file. */
  readonly path: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(dir: string, clientId: string, group: string) {
    super();
    this.path = join(dir, clientId.replaceAll('/', '_'), group.replaceAll('/', '_'), 'offsets.json');
  }

  /** Reads the file (or its `.bak` when the file is corrupt) into memory; a missing file means no offsets yet. */
  async load(): Promise<void> {
    for (const { mq, offset } of await this.readFileEntries()) this.update(mq, offset, false);
  }

  /** The offsets in the file, or in its `.bak` when the file is missing or corrupt. */
  private async readFileEntries(): Promise<{ mq: MessageQueue; offset: number }[]> {
    for (const candidate of [this.path, `${this.path}.bak`]) {
      let text: string;
      try {
        text = await readFile(candidate, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      try {
        return parseOffsetFile(text);
      } catch {
        // a torn or corrupt file: try the backup
      }
    }
    return [];
  }

  async read(mq: MessageQueue, type: ReadOffsetType): Promise<number> {
    if (type !== 'STORE') return this.memory(mq);
    const key = mqKey(mq);
    const stored = (await this.readFileEntries()).find((e) => mqKey(e.mq) === key)?.offset ?? -1;
    if (stored >= 0) this.update(mq, stored, false);
    return stored;
  }

  async persist(_mq: MessageQueue): Promise<void> {
    await this.persistAll();
  }

  /** Writes every remembered offset: to a temp file, the old file kept as `.bak`, then renamed into place. */
  async persistAll(_mqs?: readonly MessageQueue[]): Promise<void> {
    const offsetTable = new Map<MessageQueue, number>();
    for (const { mq, offset } of this.table.values()) offsetTable.set(mq, offset);
    const text = stringifyJson({ offsetTable }, { fastjson: true });
    const write = this.writing.then(async () => {
      const dir = join(this.path, '..');
      await mkdir(dir, { recursive: true });
      const tmp = `${this.path}.tmp`;
      await writeFile(tmp, text);
      await rename(this.path, `${this.path}.bak`).catch(() => undefined);
      await rename(tmp, this.path);
    });
    this.writing = write.catch(() => undefined);
    await write;
  }
}

/**
 * Parses an offsets file: `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:12}}` (fastjson object keys,
 * as Java writes it) or the same with the keys as quoted JSON text. Throws on anything else.
 */
export function parseOffsetFile(text: string): { mq: MessageQueue; offset: number }[] {
  const doc = parseJson(text) as { offsetTable?: unknown } | null;
  const table = doc?.offsetTable;
  if (typeof table !== 'object' || table === null) throw new Error('offsets file without offsetTable');
  const out: { mq: MessageQueue; offset: number }[] = [];
  for (const [key, value] of Object.entries(table as Record<string, unknown>)) {
    const mq = JSON.parse(key) as Partial<MessageQueue>;
    if (typeof mq.topic !== 'string' || typeof value !== 'number') continue;
    out.push({
      mq: { topic: mq.topic, brokerName: String(mq.brokerName), queueId: Number(mq.queueId) },
      offset: value,
    });
  }
  return out;
}

/** Where a group with no committed offset starts. */
export type ConsumeFromWhere = 'CONSUME_FROM_LAST_OFFSET' | 'CONSUME_FROM_FIRST_OFFSET' | 'CONSUME_FROM_TIMESTAMP';

/** The part of the ClientInstance that start-offset lookups use. */
export type OffsetClient = BrokerInvoker & Pick<ClientInstance, 'findBrokerAddress' | 'refreshAllRoutes'>;

/** The master address of `brokerName`, refreshing the routes once when it is not known yet. */
export async function masterAddressOf(client: OffsetClient, brokerName: string): Promise<string | undefined> {
  const addr = client.findBrokerAddress(brokerName, true);
  if (addr !== undefined) return addr;
  await client.refreshAllRoutes();
  return client.findBrokerAddress(brokerName, true);
}

/**
 * The offset a consumer starts `mq` from (Java's computePullFromWhere, reference §6.9): the stored offset, else
 * by `where` — LAST: the max offset (0 for retry topics), FIRST: 0, TIMESTAMP: the first message at or after
 * `timestamp` (the max offset for retry topics).
 */
export async function computeStartOffset(
  client: OffsetClient,
  store: OffsetStore,
  mq: MessageQueue,
  readType: ReadOffsetType,
  where: ConsumeFromWhere,
  timestamp: number,
): Promise<number> {
  const stored = await store.read(mq, readType);
  if (stored >= 0) return stored;
  const isRetry = mq.topic.startsWith('%RETRY%');
  if (where === 'CONSUME_FROM_FIRST_OFFSET' || (isRetry && where === 'CONSUME_FROM_LAST_OFFSET')) return 0;
  const addr = await masterAddressOf(client, mq.brokerName);
  if (addr === undefined) throw new RocketMQError('SERVICE_NOT_AVAILABLE', `broker ${mq.brokerName} is not known`);
  if (where === 'CONSUME_FROM_TIMESTAMP' && !isRetry) return searchOffset(client, addr, mq, timestamp);
  return getMaxOffset(client, addr, mq);
}
