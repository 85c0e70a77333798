/**
 * One mqbench run: cluster (local child process or `--namesrv`), topics, consumers, producers, the warm-up and
 * measured windows with a progress line a second, an optional backlog drain, then the result.
 */
import { availableParallelism, loadavg } from 'node:os';
import { pino } from 'pino';
import type { Logger } from '../common/logger.js';
import { type CpuFigures, CpuWindow } from './cpu.js';
import { ConsumerGroup, createTopics, ProducerGroup, SendPacer, topicNames } from './load.js';
import { startLocalCluster } from './local-cluster.js';
import type { BenchOptions } from './options.js';
import { type BenchResult, type DrainFigures, formatProgress } from './report.js';
import { BenchStats, nowMs } from './stats.js';

/** How a run talks to its caller. */
export interface RunHooks {
  /** A progress or status line (no newline). */
  onLine(line: string): void;
  /** Aborting stops the run early; the result is still returned (interrupted: true). */
  signal?: AbortSignal;
  /** Client and cluster warnings. Default: pino at ROCKETMQ_LOG_LEVEL (default warn) on stderr. */
  logger?: Logger;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Calls `tick` once a second until stopped. */
function everySecond(tick: (seconds: number) => void): () => void {
  let last = nowMs();
  const timer = setInterval(() => {
    const now = nowMs();
    tick((now - last) / 1000);
    last = now;
  }, 1000);
  return () => clearInterval(timer);
}

/** Waits until `done()` or `signal` aborts, or nothing changed in `progress()` for `stallMs`. */
async function waitUntil(done: () => boolean, progress: () => number, stallMs: number, signal?: AbortSignal) {
  let seen = progress();
  let lastChange = Date.now();
  while (!done() && !signal?.aborted) {
    await sleep(20, signal);
    const now = progress();
    if (now !== seen) {
      seen = now;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) {
      return;
    }
  }
}

/** Runs the benchmark described by `options`. */
export async function runBench(options: BenchOptions, hooks: RunHooks): Promise<BenchResult> {
  const logger =
    hooks.logger ??
    pino({ name: 'mqbench', level: process.env.ROCKETMQ_LOG_LEVEL ?? 'warn' }, pino.destination({ fd: 2 }));
  const { signal } = hooks;
  const startedAt = new Date().toISOString();
  const cluster =
    options.namesrv === undefined
      ? await startLocalCluster({ flush: options.flush, log: (line) => hooks.onLine(line) })
      : undefined;
  const namesrvAddr = options.namesrv ?? cluster!.namesrvAddr;
  const clusterLabel = cluster ? `local (child process, ${options.flush})` : `external ${namesrvAddr}`;
  if (cluster)
    hooks.onLine(`mqbench: local cluster pid ${cluster.pid}, NameServer ${namesrvAddr}, data in ${cluster.dataDir}`);
  const stats = new BenchStats();
  const runId = (Math.random() * 2 ** 32) >>> 0;
  const topics = topicNames(options);
  const producers = new ProducerGroup(options, namesrvAddr, topics, runId, stats, logger);
  const consumers = new ConsumerGroup(options, namesrvAddr, topics, runId, stats, logger);
  const pacer = new SendPacer(options.rate, options.messages);
  const startMs = nowMs();
  let phase = 'setup';
  const stopProgress = everySecond((seconds) =>
    hooks.onLine(formatProgress((nowMs() - startMs) / 1000, phase, stats.takeInterval(), seconds, stats.backlog())),
  );
  let loadavgStart = loadavg();
  let drain: DrainFigures | undefined;
  let cpuWindow: CpuWindow | undefined;
  let cpu: CpuFigures | undefined;
  try {
    hooks.onLine(`mqbench: ${clusterLabel}; creating ${topics.length} topic(s) x ${options.queues} queues`);
    await createTopics(namesrvAddr, topics, options.queues, logger);
    if (options.consumers > 0 && !options.backlog) await consumers.start();
    loadavgStart = loadavg();
    await producers.start(pacer);
    if (options.backlog) {
      phase = 'produce';
      stats.beginMeasure();
      cpuWindow = new CpuWindow(cluster?.pid);
      if (options.messages > 0) await Promise.race([producers.finished(), sleep(options.duration * 1000, signal)]);
      else await sleep(options.duration * 1000, signal);
    } else {
      phase = 'warmup';
      await sleep(options.warmup * 1000, signal);
      phase = 'measure';
      stats.beginMeasure();
      cpuWindow = new CpuWindow(cluster?.pid);
      await Promise.race([producers.finished(), sleep(options.duration * 1000, signal)]);
    }
    stats.endMeasure();
    cpu = cpuWindow?.end(stats.measuredSent);
    pacer.stopped = true;
    phase = 'stop';
    await producers.finished();
    if (options.backlog && options.consumers > 0 && !signal?.aborted) {
      phase = 'drain';
      drain = await drainBacklog(stats, consumers, cluster?.pid, signal);
    } else if (options.consumers > 0) {
      // Let messages sent in the window arrive so end-to-end latency covers them (at most 10 s without progress).
      phase = 'catchup';
      await waitUntil(
        () => stats.backlog() === 0,
        () => stats.receivedTotal,
        signal?.aborted ? 1000 : 10_000,
      );
    }
  } finally {
    stopProgress();
    await producers.shutdown();
    await consumers.shutdown();
    await cluster?.stop();
  }
  const seconds = stats.measuredSeconds();
  const errors = Object.fromEntries([...stats.errors.entries()].sort((a, b) => b[1] - a[1]));
  return {
    tool: 'mqbench',
    name: options.name,
    options,
    cluster: clusterLabel,
    startedAt,
    node: process.version,
    cpus: availableParallelism(),
    loadavgStart,
    loadavgEnd: loadavg(),
    interrupted: signal?.aborted ?? false,
    seconds,
    sent: stats.measuredSent,
    received: stats.measuredReceived,
    sendTps: seconds > 0 ? stats.measuredSent / seconds : 0,
    consumeTps: seconds > 0 ? stats.measuredReceived / seconds : 0,
    sendMBps: seconds > 0 ? (stats.measuredSent * options.size) / seconds / 1e6 : 0,
    sentTotal: stats.sentTotal,
    receivedTotal: stats.receivedTotal,
    backlogAtEnd: stats.backlog(),
    publishLatencyMs: stats.publish.summaryMs(),
    endToEndLatencyMs: stats.endToEnd.summaryMs(),
    sendToStoreMs: stats.sendToStore.summaryMs(),
    storeToReceiveMs: stats.storeToReceive.summaryMs(),
    errors,
    errorCount: Object.values(errors).reduce((a, b) => a + b, 0),
    ...(cpu ? { cpu } : {}),
    ...(drain ? { drain } : {}),
  };
}

/** Starts the consumers on the backlog and times how fast they empty it (stops after 30 s without progress). */
async function drainBacklog(
  stats: BenchStats,
  consumers: ConsumerGroup,
  brokerPid: number | undefined,
  signal?: AbortSignal,
): Promise<DrainFigures> {
  const before = stats.receivedTotal;
  stats.firstReceiveMs = Number.NaN;
  const startMs = nowMs();
  const cpuWindow = new CpuWindow(brokerPid);
  await consumers.start();
  await waitUntil(
    () => stats.backlog() === 0,
    () => stats.receivedTotal,
    30_000,
    signal,
  );
  const messages = stats.receivedTotal - before;
  const first = Number.isNaN(stats.firstReceiveMs) ? nowMs() : stats.firstReceiveMs;
  const last = messages > 0 ? stats.lastReceiveMs : first;
  const seconds = Math.max(0.001, (last - first) / 1000);
  const cpu = cpuWindow.end(messages);
  return { messages, seconds, tps: messages / seconds, startupSeconds: (first - startMs) / 1000, cpu };
}
