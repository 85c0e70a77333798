import type { Logger } from '../common/logger.js';
import { stringifyJson } from '../protocol/fastjson.js';
import { defaultSubscriptionGroupConfig, type SubscriptionGroupConfig } from '../protocol/subscription-group.js';
import type { SubscriptionGroups } from './context.js';
import { JsonConfigFile } from './json-config-file.js';

export { defaultSubscriptionGroupConfig };

const BOOLEAN_FIELDS = [
  'consumeEnable',
  'consumeFromMinEnable',
  'consumeBroadcastEnable',
  'consumeMessageOrderly',
  'notifyConsumerIdsChangedEnable',
] as const;
const INTEGER_FIELDS = [
  'retryQueueNums',
  'retryMaxTimes',
  'brokerId',
  'whichBrokerWhenConsumeSlowly',
  'groupSysFlag',
  'consumeTimeoutMinute',
] as const;

/**
 * A SubscriptionGroupConfig from its JSON form (a request body or a file entry): defaults for missing fields, Java's
 * lenient reading of "true"/"1" strings; unknown fields ignored. Undefined when there is no usable groupName.
 */
export function subscriptionGroupConfigFromJson(json: unknown): SubscriptionGroupConfig | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const src = json as Record<string, unknown>;
  if (typeof src.groupName !== 'string' || src.groupName === '') return undefined;
  const config = defaultSubscriptionGroupConfig(src.groupName);
  for (const field of BOOLEAN_FIELDS) {
    const v = src[field];
    if (typeof v === 'boolean') config[field] = v;
    else if (typeof v === 'string') config[field] = v.toLowerCase() === 'true';
  }
  for (const field of INTEGER_FIELDS) {
    const v = typeof src[field] === 'string' ? Number(src[field]) : src[field];
    if (typeof v === 'number' && Number.isInteger(v)) config[field] = v;
  }
  if (typeof src.attributes === 'object' && src.attributes !== null) {
    for (const [k, v] of Object.entries(src.attributes)) if (k !== '__proto__') config.attributes[k] = String(v);
  }
  return config;
}

/** DataVersion as RocketMQ writes it next to its tables. */
export interface DataVersion {
  counter: number;
  stateVersion: number;
  timestamp: number;
}

/**
 * Subscription groups (Java's SubscriptionGroupManager), persisted to subscriptionGroup.json as
 * `{"subscriptionGroupTable":{...},"dataVersion":{...}}`; every change is written before it is acknowledged.
 * Unknown groups are created with defaults on first use when `autoCreateSubscriptionGroup` is on.
 */
export class SubscriptionGroupManager implements SubscriptionGroups {
  private readonly table = new Map<string, SubscriptionGroupConfig>();
  private readonly file: JsonConfigFile;
  private dataVersion: DataVersion;

  constructor(
    path: string,
    private readonly logger: Logger,
    private readonly autoCreate: () => boolean,
    private readonly now: () => number,
  ) {
    this.file = new JsonConfigFile(path);
    this.dataVersion = { counter: 0, stateVersion: 0, timestamp: now() };
  }

  /** Loads subscriptionGroup.json (or its .bak). */
  async load(): Promise<void> {
    const parsed = (await this.file.load()) as
      { subscriptionGroupTable?: unknown; dataVersion?: Partial<DataVersion> } | undefined;
    if (typeof parsed !== 'object' || parsed === null) return;
    const groups = parsed.subscriptionGroupTable;
    if (typeof groups === 'object' && groups !== null) {
      for (const entry of Object.values(groups)) {
        const config = subscriptionGroupConfigFromJson(entry);
        if (config !== undefined) this.table.set(config.groupName, config);
      }
    }
    const dv = parsed.dataVersion;
    if (typeof dv?.counter === 'number') this.dataVersion.counter = dv.counter;
    this.logger.info({ path: this.file.path, groups: this.table.size }, 'subscription groups loaded');
  }

  get(group: string): SubscriptionGroupConfig | undefined {
    return this.table.get(group);
  }

  async getOrCreate(group: string): Promise<SubscriptionGroupConfig | undefined> {
    const known = this.table.get(group);
    if (known !== undefined || !this.autoCreate()) return known;
    const config = defaultSubscriptionGroupConfig(group);
    this.table.set(group, config);
    this.logger.info({ group }, 'subscription group auto-created');
    await this.changed();
    return config;
  }

  /** Creates or replaces a group's config (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP). */
  async upsert(config: SubscriptionGroupConfig): Promise<void> {
    this.table.set(config.groupName, config);
    this.logger.info({ group: config.groupName }, 'subscription group updated');
    await this.changed();
  }

  /** Removes a group's config; returns whether it existed. */
  async delete(group: string): Promise<boolean> {
    if (!this.table.delete(group)) return false;
    this.logger.info({ group }, 'subscription group deleted');
    await this.changed();
    return true;
  }

  /** Every group config, by name. */
  all(): SubscriptionGroupConfig[] {
    return [...this.table.values()];
  }

  /** The SubscriptionGroupWrapper JSON (GET_ALL_SUBSCRIPTIONGROUP_CONFIG body and the file content). */
  encode(): string {
    return stringifyJson(
      { subscriptionGroupTable: Object.fromEntries(this.table), dataVersion: this.dataVersion },
      { fastjson: true },
    );
  }

  /** Resolves once every change so far is on disk. */
  persist(): Promise<void> {
    return this.file.save(this.encode());
  }

  private changed(): Promise<void> {
    this.dataVersion = {
      counter: this.dataVersion.counter + 1,
      stateVersion: this.dataVersion.stateVersion,
      timestamp: this.now(),
    };
    return this.persist();
  }
}
