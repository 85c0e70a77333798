import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RocketMQError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { parseJson, stringifyJson } from '../protocol/fastjson.js';
import type { BrokerConfig } from './broker-config.js';
import type { TopicConfig, TopicConfigs } from './context.js';
import {
  AUTO_CREATE_TOPIC_KEY_TOPIC,
  isInherited,
  PermName,
  RMQ_SYS_BENCHMARK_TOPIC,
  RMQ_SYS_OFFSET_MOVED_EVENT,
  RMQ_SYS_SCHEDULE_TOPIC,
  RMQ_SYS_SELF_TEST_TOPIC,
  topicNameProblem,
} from './topic-validator.js';

/** DataVersion (reference §4.3): bumped on every change so NameServers know the topic table changed. */
export interface DataVersion {
  counter: number;
  timestamp: number;
  stateVersion: number;
}

/** The topics.json / REGISTER_BROKER form of the topic table. */
export interface TopicConfigSerializeWrapper {
  dataVersion: DataVersion;
  topicConfigTable: Record<string, TopicConfig>;
}

/** Options of {@link TopicConfigManager}. */
export interface TopicConfigManagerOptions {
  config: BrokerConfig;
  logger: Logger;
  /** Directory holding topics.json (`<storePathRootDir>/config`). */
  configDir: string;
  /** Register with the NameServers (topics changed). Must not throw. */
  registerBrokerAll(): Promise<void>;
  now(): number;
}

/** Number of delay levels of the default `messageDelayLevel` (queues of SCHEDULE_TOPIC_XXXX). */
const DELAY_LEVELS = 18;

/** A TopicConfig with Java's defaults (16/16 queues, perm RW) for the fields not given. */
export function newTopicConfig(topicName: string, init: Partial<Omit<TopicConfig, 'topicName'>> = {}): TopicConfig {
  return {
    topicName,
    readQueueNums: init.readQueueNums ?? 16,
    writeQueueNums: init.writeQueueNums ?? 16,
    perm: init.perm ?? PermName.READ | PermName.WRITE,
    topicFilterType: init.topicFilterType ?? 'SINGLE_TAG',
    topicSysFlag: init.topicSysFlag ?? 0,
    order: init.order ?? false,
    attributes: init.attributes ?? {},
  };
}

/**
 * The broker's topic table (Java's TopicConfigManager): topics.json under `configDir`, the system topics created at
 * start, auto-creation from TBW102, and the DataVersion that tells NameServers when to refresh routes.
 */
export class TopicConfigManager implements TopicConfigs {
  private readonly table = new Map<string, TopicConfig>();
  private readonly options: TopicConfigManagerOptions;
  private version: DataVersion;
  private persistChain: Promise<void> = Promise.resolve();
  private persistQueued = false;
  private keepBackup = false;

  constructor(options: TopicConfigManagerOptions) {
    this.options = options;
    this.version = { counter: 0, timestamp: options.now(), stateVersion: 0 };
  }

  /** Path of topics.json. */
  get path(): string {
    return join(this.options.configDir, 'topics.json');
  }

  /** The current DataVersion (a copy). */
  get dataVersion(): DataVersion {
    return { ...this.version };
  }

  /** Reads topics.json (or its .bak when the main file is unreadable), then adds the missing system topics. */
  async load(): Promise<void> {
    const main = await this.readFile(this.path);
    // a damaged topics.json must not overwrite the good .bak on the next write
    this.keepBackup = main === undefined;
    const loaded = main ?? (await this.readFile(`${this.path}.bak`));
    if (loaded) {
      for (const config of Object.values(loaded.topicConfigTable)) this.table.set(config.topicName, config);
      this.version = loaded.dataVersion;
    }
    let added = false;
    for (const config of this.systemTopics()) {
      if (!this.table.has(config.topicName)) {
        this.table.set(config.topicName, config);
        added = true;
      }
    }
    if (added || !main) {
      this.bumpVersion();
      await this.persist();
    }
  }

  get(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }

  all(): TopicConfig[] {
    return [...this.table.values()];
  }

  /** The wrapper sent in REGISTER_BROKER and written to topics.json. */
  wrapper(): TopicConfigSerializeWrapper {
    return { dataVersion: this.dataVersion, topicConfigTable: Object.fromEntries(this.table) };
  }

  async upsert(config: TopicConfig): Promise<void> {
    const problem = topicNameProblem(config.topicName);
    if (problem) throw new RocketMQError('INVALID_PARAMETER', problem);
    this.table.set(config.topicName, { ...config, attributes: { ...config.attributes } });
    await this.changed();
  }

  async getOrCreateInternal(topic: string, queueNums: number, perm: number): Promise<TopicConfig> {
    const existing = this.table.get(topic);
    if (existing) return existing;
    const config = newTopicConfig(topic, { readQueueNums: queueNums, writeQueueNums: queueNums, perm });
    this.table.set(topic, config);
    this.options.logger.info({ topic, queueNums, perm }, 'created internal topic');
    await this.changed();
    return config;
  }

  async delete(topic: string): Promise<boolean> {
    if (!this.table.delete(topic)) return false;
    await this.changed();
    return true;
  }

  /**
   * Auto-creation on send (reference §6.2): a missing topic is created from `defaultTopic` when that template exists
   * and has the INHERIT bit, with min(clientQueueNums, template write queues) queues and the template's perm without
   * INHERIT. Registration with the NameServers runs in the background. Undefined when the topic may not be created.
   */
  createTopicInSendMessageMethod(
    topic: string,
    defaultTopic: string,
    clientQueueNums: number,
    topicSysFlag: number,
  ): TopicConfig | undefined {
    const existing = this.table.get(topic);
    if (existing) return existing;
    const template = this.table.get(defaultTopic);
    if (!template || !isInherited(template.perm)) return undefined;
    if (defaultTopic === AUTO_CREATE_TOPIC_KEY_TOPIC && !this.options.config.autoCreateTopicEnable) return undefined;
    const queueNums = Math.max(1, Math.min(clientQueueNums, template.writeQueueNums));
    const config = newTopicConfig(topic, {
      readQueueNums: queueNums,
      writeQueueNums: queueNums,
      perm: template.perm & ~PermName.INHERIT,
      topicFilterType: template.topicFilterType,
      topicSysFlag,
    });
    this.table.set(topic, config);
    this.options.logger.info({ topic, defaultTopic, queueNums }, 'auto-created topic on send');
    void this.changed();
    return config;
  }

  /** Waits for pending topics.json writes. */
  async flush(): Promise<void> {
    await this.persistChain;
  }

  private async changed(): Promise<void> {
    this.bumpVersion();
    await this.persist();
    await this.options.registerBrokerAll();
  }

  private bumpVersion(): void {
    this.version = {
      counter: this.version.counter + 1,
      timestamp: this.options.now(),
      stateVersion: this.version.stateVersion,
    };
  }

  /** Writes topics.json (tmp file, old file kept as .bak, rename); concurrent calls coalesce into one write. */
  private persist(): Promise<void> {
    if (this.persistQueued) return this.persistChain;
    this.persistQueued = true;
    this.persistChain = this.persistChain
      .then(async () => {
        this.persistQueued = false;
        const text = stringifyJson(this.wrapper());
        await mkdir(this.options.configDir, { recursive: true });
        const tmp = `${this.path}.tmp`;
        await writeFile(tmp, text, 'utf8');
        if (existsSync(this.path) && !this.keepBackup) await copyFile(this.path, `${this.path}.bak`);
        this.keepBackup = false;
        await rename(tmp, this.path);
      })
      .catch((err: unknown) => {
        this.persistQueued = false;
        this.options.logger.error({ err, path: this.path }, 'cannot persist topics.json');
      });
    return this.persistChain;
  }

  private async readFile(path: string): Promise<TopicConfigSerializeWrapper | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
    if (text.trim() === '') return undefined;
    try {
      return decodeTopicsJson(text);
    } catch (err) {
      this.options.logger.warn({ err, path }, 'unreadable topics file');
      return undefined;
    }
  }

  private systemTopics(): TopicConfig[] {
    const c = this.options.config;
    const rw = PermName.READ | PermName.WRITE;
    const out = [
      newTopicConfig(RMQ_SYS_SELF_TEST_TOPIC, { readQueueNums: 1, writeQueueNums: 1 }),
      newTopicConfig(RMQ_SYS_BENCHMARK_TOPIC, { readQueueNums: 1024, writeQueueNums: 1024 }),
      newTopicConfig(c.brokerClusterName, {
        perm: PermName.INHERIT | (c.clusterTopicEnable ? rw : 0),
      }),
      newTopicConfig(c.brokerName, {
        readQueueNums: 1,
        writeQueueNums: 1,
        perm: PermName.INHERIT | (c.brokerTopicEnable ? rw : 0),
      }),
      newTopicConfig(RMQ_SYS_OFFSET_MOVED_EVENT, { readQueueNums: 1, writeQueueNums: 1 }),
      newTopicConfig(RMQ_SYS_SCHEDULE_TOPIC, { readQueueNums: DELAY_LEVELS, writeQueueNums: DELAY_LEVELS }),
    ];
    if (c.autoCreateTopicEnable) {
      out.push(
        newTopicConfig(AUTO_CREATE_TOPIC_KEY_TOPIC, {
          readQueueNums: c.defaultTopicQueueNums,
          writeQueueNums: c.defaultTopicQueueNums,
          perm: PermName.INHERIT | rw,
        }),
      );
    }
    if (c.traceTopicEnable) {
      out.push(newTopicConfig(c.msgTraceTopicName, { readQueueNums: 1, writeQueueNums: 1 }));
    }
    return out;
  }
}

/** Parses topics.json text (fastjson-tolerant); throws RocketMQError CONFIG_INVALID when it is not one. */
export function decodeTopicsJson(text: string): TopicConfigSerializeWrapper {
  const json = parseJson(text) as Record<string, unknown> | null;
  if (typeof json !== 'object' || json === null)
    throw new RocketMQError('CONFIG_INVALID', 'topics.json: not an object');
  const dv = (json.dataVersion ?? {}) as Record<string, unknown>;
  const table = (json.topicConfigTable ?? {}) as Record<string, unknown>;
  const topicConfigTable: Record<string, TopicConfig> = {};
  for (const [name, raw] of Object.entries(table)) {
    if (typeof raw !== 'object' || raw === null) continue;
    const r = raw as Record<string, unknown>;
    const topicName = typeof r.topicName === 'string' && r.topicName !== '' ? r.topicName : name;
    topicConfigTable[topicName] = newTopicConfig(topicName, {
      readQueueNums: num(r.readQueueNums, 16),
      writeQueueNums: num(r.writeQueueNums, 16),
      perm: num(r.perm, 6),
      topicFilterType: r.topicFilterType === 'MULTI_TAG' ? 'MULTI_TAG' : 'SINGLE_TAG',
      topicSysFlag: num(r.topicSysFlag, 0),
      order: r.order === true || r.order === 'true',
      attributes: stringRecord(r.attributes),
    });
  }
  return {
    dataVersion: {
      counter: num(dv.counter, 0),
      timestamp: num(dv.timestamp, 0),
      stateVersion: num(dv.stateVersion, 0),
    },
    topicConfigTable,
  };
}

function num(value: unknown, fallback: number): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : fallback;
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}
