import { parseProperties } from '../common/config.js';
import { CURRENT_VERSION, createResponse, versionName } from '../protocol/command.js';
import { stringifyJson, stringifyJsonBuffer } from '../protocol/fastjson.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { StoreStats } from '../store/message-store.js';
import type { RequestHandler } from '../transport/dispatcher.js';
import {
  BROKER_RESTART_REQUIRED_KEYS,
  type BrokerConfig,
  brokerConfigSchema,
  formatBrokerConfig,
  resolveBrokerConfig,
} from './broker-config.js';
import type { BrokerContext, HandlerTable } from './context.js';

/** Sampling period of the throughput figures (ms). */
const SAMPLE_INTERVAL_MS = 10_000;
/** Samples kept: ten minutes. */
const MAX_SAMPLES = 61;

interface Sample {
  at: number;
  putCount: number;
  getCount: number;
  getFoundCount: number;
}

/** Keys UPDATE_BROKER_CONFIG may never change. */
const UPDATE_BLACKLIST: ReadonlySet<string> = new Set(['storePathRootDir', 'storePathCommitLog']);

/**
 * Throughput of the store over the last 10 s, 60 s and 600 s, from counters sampled every 10 s, and the message
 * totals at this morning's and yesterday morning's midnight (what GET_BROKER_RUNTIME_INFO reports).
 */
export class BrokerStatsSampler {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private todayMorning = { put: 0, get: 0 };
  private yesterdayMorning = { put: 0, get: 0 };
  private day: number;

  constructor(
    private readonly stats: () => StoreStats,
    private readonly now: () => number,
  ) {
    this.day = new Date(now()).getDate();
  }

  /** Starts sampling. */
  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  shutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample (also rolls the day totals at midnight). */
  sample(): void {
    const s = this.stats();
    const at = this.now();
    const day = new Date(at).getDate();
    if (day !== this.day) {
      this.day = day;
      this.yesterdayMorning = this.todayMorning;
      this.todayMorning = { put: s.putCount, get: s.getFoundCount };
    }
    this.samples.push({ at, putCount: s.putCount, getCount: s.getCount, getFoundCount: s.getFoundCount });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }

  /** "tps10s tps60s tps600s" of a counter, Java's format. */
  tps(field: (s: Sample) => number): string {
    const last = this.samples[this.samples.length - 1];
    if (!last) return '0.00 0.00 0.00';
    return [1, 6, 60]
      .map((back) => {
        const first = this.samples[Math.max(0, this.samples.length - 1 - back)]!;
        const seconds = (last.at - first.at) / 1000;
        return seconds > 0 ? ((field(last) - field(first)) / seconds).toFixed(2) : '0.00';
      })
      .join(' ');
  }

  /** Totals at midnight. */
  mornings(): { todayPut: number; todayGet: number; yesterdayPut: number; yesterdayGet: number } {
    return {
      todayPut: this.todayMorning.put,
      todayGet: this.todayMorning.get,
      yesterdayPut: this.yesterdayMorning.put,
      yesterdayGet: this.yesterdayMorning.get,
    };
  }
}

/** GET_BROKER_RUNTIME_INFO's table (reference §4.7): every value a string. */
export function runtimeInfo(ctx: BrokerContext, sampler: BrokerStatsSampler, bootTimestamp: number) {
  const s = ctx.store.stats();
  const m = sampler.mornings();
  const now = ctx.now();
  const getTransferred = sampler.tps((x) => x.getFoundCount);
  const table: Record<string, string> = {
    brokerActive: 'true',
    brokerVersion: String(CURRENT_VERSION),
    brokerVersionDesc: versionName(CURRENT_VERSION),
    bootTimestamp: String(bootTimestamp),
    runtime: formatRuntime(now - bootTimestamp),
    msgPutTotalTodayNow: String(s.putCount),
    msgGetTotalTodayNow: String(s.getFoundCount),
    msgPutTotalTodayMorning: String(m.todayPut),
    msgGetTotalTodayMorning: String(m.todayGet),
    msgPutTotalYesterdayMorning: String(m.yesterdayPut),
    msgGetTotalYesterdayMorning: String(m.yesterdayGet),
    putTps: sampler.tps((x) => x.putCount),
    getFoundTps: getTransferred,
    getMissTps: sampler.tps((x) => x.getCount - x.getFoundCount),
    getTotalTps: sampler.tps((x) => x.getCount),
    getTransferredTps: getTransferred,
    getTransferedTps: getTransferred,
    commitLogMinOffset: String(s.commitLogMinOffset),
    commitLogMaxOffset: String(s.commitLogMaxOffset),
    remainHowManyDataToFlush: String(Math.max(0, s.commitLogMaxOffset - s.commitLogFlushedOffset)),
    commitLogDiskRatio: String(s.diskUsedRatio),
    consumeQueueDiskRatio: String(s.diskUsedRatio),
    dispatchBehindBytes: '0',
    pageCacheLockTimeMills: '0',
    putMessageFailedTimes: String(s.putFailures),
    startAcceptSendRequestTimeStamp: '0',
    brokerWritable: String(s.writable),
  };
  return table;
}

/** "[ d days, h hours, m minutes, s seconds ]", Java's runtime format. */
function formatRuntime(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const min = Math.floor((total % 3600) / 60);
  return `[ ${d} days, ${h} hours, ${min} minutes, ${total % 60} seconds ]`;
}

/**
 * GET_BROKER_RUNTIME_INFO (28, KVTable), GET_BROKER_CONFIG (26, properties text) and UPDATE_BROKER_CONFIG (25:
 * properties text validated against the schema and applied to the live config; keys listed in
 * BROKER_RESTART_REQUIRED_KEYS take effect at the next start).
 */
export function createBrokerAdminHandlers(
  ctx: BrokerContext,
  sampler: BrokerStatsSampler,
  bootTimestamp: number,
  onConfigChanged: (keys: string[]) => void,
): HandlerTable {
  let configVersion = { counter: 0, stateVersion: 0, timestamp: ctx.now() };

  const getRuntimeInfo: RequestHandler = (request) =>
    createResponse(request, ResponseCode.SUCCESS, {
      body: stringifyJsonBuffer({ table: runtimeInfo(ctx, sampler, bootTimestamp) }),
    });

  const getConfig: RequestHandler = (request) =>
    createResponse(request, ResponseCode.SUCCESS, {
      extFields: { version: stringifyJson(configVersion) },
      body: Buffer.from(formatBrokerConfig(ctx.config), 'utf8'),
    });

  const updateConfig: RequestHandler = (request) => {
    const text = request.body?.toString('utf8') ?? '';
    const updates = parseProperties(text);
    const unknown: string[] = [];
    for (const key of updates.keys()) {
      if (!Object.hasOwn(brokerConfigSchema, key)) unknown.push(key);
      else if (UPDATE_BLACKLIST.has(key)) {
        return createResponse(request, ResponseCode.NO_PERMISSION, { remark: `Can not update config '${key}'` });
      }
    }
    for (const key of unknown) updates.delete(key);
    let next: BrokerConfig;
    try {
      next = resolveBrokerConfig({ ...ctx.config, ...Object.fromEntries(updates) });
    } catch (err) {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: (err as Error).message });
    }
    const changed = [...updates.keys()].filter(
      (key) => next[key as keyof BrokerConfig] !== ctx.config[key as keyof BrokerConfig],
    );
    Object.assign(ctx.config, next);
    if (changed.length > 0) {
      configVersion = { ...configVersion, counter: configVersion.counter + 1, timestamp: ctx.now() };
      const later = changed.filter((key) => BROKER_RESTART_REQUIRED_KEYS.has(key));
      ctx.logger.info({ changed, restartRequired: later, ignoredUnknown: unknown }, 'broker config updated');
      onConfigChanged(changed);
    }
    return createResponse(request, ResponseCode.SUCCESS);
  };

  return new Map([
    [RequestCode.GET_BROKER_RUNTIME_INFO, getRuntimeInfo],
    [RequestCode.GET_BROKER_CONFIG, getConfig],
    [RequestCode.UPDATE_BROKER_CONFIG, updateConfig],
  ]);
}
