/**
 * NameServer benchmark (`npm run bench:namesrv`).
 *
 * 1. Memory per topic: registers brokers with many topics into an in-process RouteInfoManager, fills the route body
 *    cache in both JSON forms, and reports retained heap per topic.
 * 2. Route lookups: starts `mqnamesrv` as a child process on 127.0.0.1, registers 10 fake brokers serving 1,000
 *    topics (each topic on 2 brokers), then sends GET_ROUTEINFO_BY_TOPIC from 16 connections, each keeping
 *    `--depth` requests in flight, and reports lookups/s with p50/p99/p999 latency. Client and server share the
 *    machine.
 *
 * Options (env or `--key=value`): seconds (10), warmup (2), connections (16), depth (8), topics (1000),
 * brokers (10), memTopics (100000), json (print one JSON line only).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeTopicRouteData, RouteBodyCache } from '../src/namesrv/route-body.js';
import { RouteInfoManager } from '../src/namesrv/route-info-manager.js';
import type { TopicConfig } from '../src/namesrv/route-types.js';
import { createRequest, type RemotingCommand } from '../src/protocol/command.js';
import { RegisterBrokerRequestHeader } from '../src/protocol/headers/namesrv.js';
import { RequestCode } from '../src/protocol/request-code.js';
import { RemotingClient } from '../src/transport/client.js';
import { percentile, spawnServerCli } from './support.js';

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const raw = arg?.slice(name.length + 3) ?? process.env[`BENCH_${name.toUpperCase()}`];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`bad --${name}=${raw}`);
  return n;
}

const opts = {
  seconds: option('seconds', 10),
  warmup: option('warmup', 2),
  connections: option('connections', 16),
  depth: option('depth', 8),
  topics: option('topics', 1000),
  brokers: option('brokers', 10),
  memTopics: option('memTopics', 100_000),
};
const jsonOnly = process.argv.includes('--json');
const say = (line: string) => {
  if (!jsonOnly) process.stdout.write(`${line}\n`);
};

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Heap plus Buffer (ArrayBuffer) memory in use after a full collection. */
function memoryAfterGc(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function topicName(i: number): string {
  return `BenchTopic_${String(i).padStart(6, '0')}`;
}

/** Topic i is served by brokers i % n and (i + 1) % n. */
function brokersOf(i: number, n: number): number[] {
  return n === 1 ? [0] : [i % n, (i + 1) % n];
}

function measureMemory(topicCount: number, brokerCount: number) {
  const tables = Array.from({ length: brokerCount }, () => new Map<string, TopicConfig>());
  for (let i = 0; i < topicCount; i++) {
    for (const b of brokersOf(i, brokerCount)) {
      tables[b]!.set(topicName(i), {
        topicName: topicName(i),
        readQueueNums: 8,
        writeQueueNums: 8,
        perm: 6,
        topicSysFlag: 0,
      });
    }
  }
  const before = memoryAfterGc();
  const cache = new RouteBodyCache();
  const routes = new RouteInfoManager({ onRouteChange: (t) => cache.invalidate(t) });
  for (let b = 0; b < brokerCount; b++) {
    routes.registerBroker({
      clusterName: 'BenchCluster',
      brokerName: `broker-${b}`,
      brokerAddr: `10.0.0.${b + 1}:10911`,
      brokerId: 0,
      haServerAddr: `10.0.0.${b + 1}:10912`,
      enableActingMaster: false,
      topicConfigWrapper: { dataVersion: { counter: 1, timestamp: 1, stateVersion: 0 }, topicConfigTable: tables[b]! },
      filterServerList: [],
    });
  }
  const afterTables = memoryAfterGc();
  let bodyBytes = 0;
  for (let i = 0; i < topicCount; i++) {
    const route = routes.pickupTopicRouteData(topicName(i))!;
    for (const form of ['standard', 'fastjson'] as const) {
      const body = encodeTopicRouteData(route, form);
      bodyBytes += body.length;
      cache.set(topicName(i), form, body);
    }
  }
  const afterCache = memoryAfterGc();
  // keep everything reachable until measured
  if (routes.topicQueueTable.size !== topicCount || cache.size !== topicCount) throw new Error('memory setup failed');
  return {
    topics: topicCount,
    brokersPerTopic: brokersOf(0, brokerCount).length,
    tableBytesPerTopic: Math.round((afterTables - before) / topicCount),
    cachedBodyBytesPerTopic: Math.round((afterCache - afterTables) / topicCount),
    cachedBodyPayloadBytesPerTopic: Math.round(bodyBytes / topicCount),
    totalBytesPerTopic: Math.round((afterCache - before) / topicCount),
  };
}

async function startServer(dir: string): Promise<{ child: ChildProcess; addr: string }> {
  const conf = join(dir, 'namesrv.conf');
  await writeFile(conf, `listenPort=0\nlistenAddress=127.0.0.1\nkvConfigPath=${join(dir, 'kv.json')}\n`);
  return spawnServerCli('mqnamesrv', conf);
}

function registerRequest(b: number, topicCount: number, brokerCount: number): RemotingCommand {
  const table: Record<string, unknown> = {};
  for (let i = 0; i < topicCount; i++) {
    if (!brokersOf(i, brokerCount).includes(b)) continue;
    table[topicName(i)] = {
      order: false,
      perm: 6,
      readQueueNums: 8,
      topicFilterType: 'SINGLE_TAG',
      topicName: topicName(i),
      topicSysFlag: 0,
      writeQueueNums: 8,
    };
  }
  const body = Buffer.from(
    JSON.stringify({
      filterServerList: [],
      topicConfigSerializeWrapper: {
        dataVersion: { counter: 1, stateVersion: 0, timestamp: Date.now() },
        topicConfigTable: table,
      },
    }),
  );
  return createRequest(RequestCode.REGISTER_BROKER, {
    extFields: RegisterBrokerRequestHeader.encode({
      brokerName: `broker-${b}`,
      brokerAddr: `10.0.0.${b + 1}:10911`,
      clusterName: 'BenchCluster',
      haServerAddr: `10.0.0.${b + 1}:10912`,
      brokerId: 0,
      enableActingMaster: false,
      compressed: false,
      bodyCrc32: 0,
    }),
    body,
  });
}

async function lookups(addr: string) {
  // brokers keep their registering connection open, as real brokers do
  const brokerClient = new RemotingClient();
  for (let b = 0; b < opts.brokers; b++) {
    const res = await brokerClient.invoke(addr, registerRequest(b, opts.topics, opts.brokers), 30_000);
    if (res.code !== 0) throw new Error(`register broker-${b} failed: ${res.code} ${res.remark}`);
  }
  const clients = Array.from({ length: opts.connections }, () => new RemotingClient());
  await Promise.all(clients.map((c) => c.connection(addr)));

  let recording = false;
  let stop = false;
  let count = 0;
  let errors = 0;
  let latencies = new Float64Array(1 << 20);
  const record = (ms: number) => {
    if (count === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[count++] = ms;
  };
  let seq = 0;
  const worker = async (client: RemotingClient) => {
    while (!stop) {
      const topic = topicName(seq++ % opts.topics);
      const start = process.hrtime.bigint();
      const res = await client.invoke(
        addr,
        createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic } }),
        10_000,
      );
      if (!recording) continue;
      if (res.code !== 0 || !res.body) errors++;
      record(Number(process.hrtime.bigint() - start) / 1e6);
    }
  };
  const workers = clients.flatMap((c) => Array.from({ length: opts.depth }, () => worker(c)));
  await new Promise((r) => setTimeout(r, opts.warmup * 1000));
  recording = true;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, opts.seconds * 1000));
  recording = false;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const measured = count;
  stop = true;
  await Promise.all(workers);
  await Promise.all([...clients, brokerClient].map((c) => c.close()));
  const sorted = latencies.subarray(0, measured).sort();
  return {
    connections: opts.connections,
    inFlightPerConnection: opts.depth,
    topics: opts.topics,
    brokers: opts.brokers,
    seconds: Math.round(elapsed * 10) / 10,
    lookups: measured,
    errors,
    lookupsPerSecond: Math.round(measured / elapsed),
    p50Ms: Math.round(percentile(sorted, 0.5) * 1000) / 1000,
    p99Ms: Math.round(percentile(sorted, 0.99) * 1000) / 1000,
    p999Ms: Math.round(percentile(sorted, 0.999) * 1000) / 1000,
    clientCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
  };
}

async function main(): Promise<void> {
  say(`memory: ${opts.memTopics} topics over ${opts.brokers} brokers (2 brokers per topic)…`);
  const memory = measureMemory(opts.memTopics, opts.brokers);
  say(
    `  route tables: ${memory.tableBytesPerTopic} B/topic; cached bodies (both JSON forms): ` +
      `${memory.cachedBodyBytesPerTopic} B/topic (${memory.cachedBodyPayloadBytesPerTopic} B of JSON); ` +
      `total ${memory.totalBytesPerTopic} B/topic`,
  );

  const dir = await mkdtemp(join(tmpdir(), 'bench-namesrv-'));
  const { child, addr } = await startServer(dir);
  try {
    say(
      `lookups: ${opts.connections} connections × ${opts.depth} in flight, ${opts.topics} topics over ` +
        `${opts.brokers} brokers, ${opts.warmup}s warm-up + ${opts.seconds}s against ${addr}…`,
    );
    const result = await lookups(addr);
    say(
      `  ${result.lookupsPerSecond} lookups/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ` +
        `p99.9 ${result.p999Ms} ms, errors ${result.errors}, client CPU ${result.clientCpuPercent}%`,
    );
    process.stdout.write(`${JSON.stringify({ bench: 'namesrv', node: process.version, memory, lookups: result })}\n`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/namesrv: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
