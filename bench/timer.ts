/**
 * Timer message benchmark (`npm run bench:timer`), in process over a FileStore and the TimerMessageService:
 *
 * 1. enqueue: BENCH_TIMER_COUNT (default 1,000,000) timer messages with delays spread over 1 h … 3 days are put
 *    through the send-path conversion; reports the produce rate and the rate at which they enter the wheel;
 * 2. memory with them all pending: heap, external (the fixed 38.7 MB wheel) and RSS after a GC, against the same
 *    figures before the run;
 * 3. burst: BENCH_TIMER_BURST (default 100,000) messages due in the same second (on top of the pending ones); reports
 *    how fast they were produced and how fast the service delivered them once the second ended.
 *
 * Prints medians over BENCH_RUNS (default 3) runs with the load average, then one line `BENCH_JSON {...}`.
 * BENCH_DIR (default os.tmpdir()) holds the stores; each run's store is deleted after it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type TimerRules, toTimerMessage } from '../src/broker/timer/timer-message.js';
import { TimerMessageService } from '../src/broker/timer/timer-message-service.js';
import { createLogger, silentLogger } from '../src/common/logger.js';
import { encodeProperties } from '../src/protocol/message/properties.js';
import { FileStore } from '../src/store/file-store.js';
import type { MessageToStore } from '../src/store/message-store.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const COUNT = Number(process.env.BENCH_TIMER_COUNT ?? 1_000_000);
const BURST = Number(process.env.BENCH_TIMER_BURST ?? 100_000);
const BASE = process.env.BENCH_DIR ?? os.tmpdir();
const WINDOW = 2000;
let debugStats: (() => unknown) | undefined;
const RULES: TimerRules = { enable: true, maxDelaySec: 259_200, precisionMs: 1000 };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface RunResult {
  produceRate: number;
  enqueueRate: number;
  heapMB: number;
  externalMB: number;
  rssMB: number;
  heapDeltaMB: number;
  burstProduceRate: number;
  burstDeliverRate: number;
  burstFirstLagMs: number;
  burstLastLagMs: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const mb = (n: number) => n / 1024 / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function timed(topic: string, i: number, deliverMs: number, now: number): MessageToStore {
  const msg: MessageToStore = {
    topic,
    queueId: i % 8,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: now,
    bornHost: { host: '127.0.0.1', port: 1 },
    body: Buffer.alloc(64, 0x61),
    properties: encodeProperties({ TIMER_DELIVER_MS: String(deliverMs), UNIQ_KEY: `K${i}` }),
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
  };
  const out = toTimerMessage(msg, RULES, now);
  if ('code' in out) throw new Error(out.remark);
  return out;
}

/** Puts `count` messages made by `make`, WINDOW in flight; resolves with the elapsed ms. */
async function produce(store: FileStore, count: number, make: (i: number) => MessageToStore): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i += WINDOW) {
    const batch: Promise<unknown>[] = [];
    for (let k = i; k < Math.min(count, i + WINDOW); k++) batch.push(store.putMessage(make(k)));
    const results = (await Promise.all(batch)) as { status: string }[];
    if (results.some((r) => r.status !== 'PUT_OK')) throw new Error('put failed');
  }
  return performance.now() - start;
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${JSON.stringify(debugStats?.())}`);
    await sleep(2);
  }
  return performance.now();
}

async function oneRun(): Promise<RunResult> {
  const root = fs.mkdtempSync(path.join(BASE, 'rmq-timer-bench-'));
  const store = new FileStore({
    config: { storePathRootDir: path.join(root, 'store'), messageIndexEnable: false },
    logger: silentLogger,
  });
  await store.start();
  const timer = new TimerMessageService({
    store,
    rootDir: path.join(root, 'store'),
    config: {
      timerPrecisionMs: 1000,
      timerRollWindowSlot: 172_800,
      timerFlushIntervalMs: 1000,
      mappedFileSizeTimerLog: 104_857_600,
    },
    fileReservedTimeHours: 72,
    logger: process.env.BENCH_DEBUG ? createLogger() : silentLogger,
  });
  try {
    await timer.start();
    debugStats = () => ({ ...timer.stats(), now: Date.now() });
    gc();
    const base = process.memoryUsage();

    // 1. a million pending timers, due between 1 h and 3 days from now
    const t0 = Date.now();
    const startEnq = performance.now();
    const produceMs = await produce(store, COUNT, (i) =>
      timed('BenchTimer', i, t0 + 3_600_000 + ((i * 7919) % (259_200_000 - 3_600_000)), Date.now()),
    );
    const enqueuedAt = await until(() => timer.stats().enqueued >= COUNT, 600_000);
    gc();
    const mem = process.memoryUsage();

    // 2. a burst due in one second, 10 s from now (after it is produced)
    const due = Math.ceil((Date.now() + 10_000) / 1000) * 1000;
    const burstMs = await produce(store, BURST, (i) => timed('BenchBurst', i, due, Date.now()));
    if (Date.now() >= due) throw new Error('the burst took longer than 10 s to produce; lower BENCH_TIMER_BURST');
    const firstDelivered = await until(() => timer.stats().delivered > 0, 60_000);
    const dueAtPerf = performance.now() - (Date.now() - due);
    const lastDelivered = await until(() => timer.stats().delivered >= BURST, 600_000);

    return {
      produceRate: COUNT / (produceMs / 1000),
      enqueueRate: COUNT / ((enqueuedAt - startEnq) / 1000),
      heapMB: mb(mem.heapUsed),
      externalMB: mb(mem.external + mem.arrayBuffers),
      rssMB: mb(mem.rss),
      heapDeltaMB: mb(mem.heapUsed - base.heapUsed),
      burstProduceRate: BURST / (burstMs / 1000),
      burstDeliverRate: BURST / ((lastDelivered - dueAtPerf) / 1000),
      burstFirstLagMs: firstDelivered - dueAtPerf,
      burstLastLagMs: lastDelivered - dueAtPerf,
    };
  } finally {
    await timer.shutdown();
    await store.shutdown();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const load = os.loadavg().map((l) => l.toFixed(2));
  console.log(
    `timer bench: ${COUNT} pending + burst of ${BURST}, ${RUNS} runs, ${os.cpus().length} cpus, load ${load}`,
  );
  const runs: RunResult[] = [];
  for (let r = 0; r < RUNS; r++) {
    const res = await oneRun();
    runs.push(res);
    console.log(
      `run ${r + 1}: produce ${res.produceRate.toFixed(0)}/s, enqueue ${res.enqueueRate.toFixed(0)}/s, heap ${res.heapMB.toFixed(0)} MB (Δ ${res.heapDeltaMB.toFixed(0)}), external ${res.externalMB.toFixed(0)} MB, rss ${res.rssMB.toFixed(0)} MB, burst produce ${res.burstProduceRate.toFixed(0)}/s, burst deliver ${res.burstDeliverRate.toFixed(0)}/s (first +${res.burstFirstLagMs.toFixed(0)} ms, last +${res.burstLastLagMs.toFixed(0)} ms)`,
    );
  }
  const keys = Object.keys(runs[0]!) as (keyof RunResult)[];
  const medians = Object.fromEntries(keys.map((k) => [k, Math.round(median(runs.map((r) => r[k])) * 10) / 10]));
  console.log('median:', medians);
  const loadAfter = os.loadavg().map((l) => l.toFixed(2));
  console.log(`load average after: ${loadAfter}`);
  console.log(`BENCH_JSON ${JSON.stringify({ count: COUNT, burst: BURST, runs: RUNS, load, loadAfter, medians })}`);
}

await main();
