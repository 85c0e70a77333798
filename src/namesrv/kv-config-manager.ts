import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RocketMQError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { silentLogger } from '../common/logger.js';

/** KV namespace whose entries (topic → `"broker-a:4;broker-b:4"`) become `orderTopicConf` in routes. */
export const NAMESPACE_ORDER_TOPIC_CONFIG = 'ORDER_TOPIC_CONFIG';

export interface KvConfigManagerOptions {
  /** The JSON file (`{"configTable":{ns:{k:v}}}`, as Java's KVConfigSerializeWrapper) entries persist to. */
  path: string;
  logger?: Logger;
  /** Called after a change of `namespace`/`key`. */
  onChange?: (namespace: string, key: string) => void;
}

/**
 * The NameServer's namespaced key/value store (PUT/GET/DELETE_KV_CONFIG). Every change is written to disk (temp
 * file, then rename) before the request is answered; writes are serialised so the file always holds the latest table.
 */
export class KvConfigManager {
  private readonly table = new Map<string, Map<string, string>>();
  private readonly path: string;
  private readonly logger: Logger;
  private readonly onChange: (namespace: string, key: string) => void;
  private writing: Promise<void> = Promise.resolve();

  constructor(options: KvConfigManagerOptions) {
    this.path = options.path;
    this.logger = options.logger ?? silentLogger;
    this.onChange = options.onChange ?? (() => {});
  }

  /** Load the file if it exists. A file that is not the expected JSON fails with CONFIG_INVALID. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (text.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new RocketMQError('CONFIG_INVALID', `kvConfigPath ${this.path} is not JSON`, { cause });
    }
    const configTable = (parsed as { configTable?: unknown } | null)?.configTable;
    if (typeof configTable !== 'object' || configTable === null) {
      throw new RocketMQError('CONFIG_INVALID', `kvConfigPath ${this.path} has no configTable object`);
    }
    for (const [namespace, entries] of Object.entries(configTable)) {
      if (typeof entries !== 'object' || entries === null) continue;
      const kv = new Map<string, string>();
      for (const [key, value] of Object.entries(entries)) kv.set(key, String(value));
      this.table.set(namespace, kv);
    }
    this.logger.info({ path: this.path, namespaces: this.table.size }, 'KV config loaded');
  }

  get(namespace: string, key: string): string | undefined {
    return this.table.get(namespace)?.get(key);
  }

  /** All entries of a namespace, or undefined when it has none. */
  list(namespace: string): Map<string, string> | undefined {
    const kv = this.table.get(namespace);
    return kv && kv.size > 0 ? kv : undefined;
  }

  async put(namespace: string, key: string, value: string): Promise<void> {
    let kv = this.table.get(namespace);
    if (!kv) {
      kv = new Map();
      this.table.set(namespace, kv);
    }
    kv.set(key, value);
    this.onChange(namespace, key);
    await this.persist();
  }

  async delete(namespace: string, key: string): Promise<void> {
    const kv = this.table.get(namespace);
    if (!kv?.delete(key)) return;
    if (kv.size === 0) this.table.delete(namespace);
    this.onChange(namespace, key);
    await this.persist();
  }

  /** Resolves once everything changed so far is on disk. */
  flushed(): Promise<void> {
    return this.writing;
  }

  private persist(): Promise<void> {
    const next = this.writing.then(() => this.writeFile());
    this.writing = next.catch(() => {});
    return next;
  }

  private async writeFile(): Promise<void> {
    const configTable: Record<string, Record<string, string>> = {};
    for (const [namespace, kv] of this.table) configTable[namespace] = Object.fromEntries(kv);
    const text = JSON.stringify({ configTable }, null, 2);
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, this.path);
  }
}
