/**
 * Broker benchmark (`npm run bench:broker`).
 *
 * Starts `mqbroker` as a child process on 127.0.0.1 (temp store, ASYNC_FLUSH, no NameServer), creates a topic with
 * `queues` queues, then over loopback with raw RemotingClient requests:
 * 1. produce: `connections` connections each keep `depth` SEND_MESSAGE_V2 requests (`size`-byte bodies, JSON
 *    headers as Java clients send them) in flight for `seconds`; reports messages/s and MB/s;
 * 2. consume: pulls everything just produced (PULL_MESSAGE, 32 per pull, one pull in flight per queue); reports
 *    messages/s and MB/s;
 * 3. latency: one send in flight for `seconds`; reports p50 / p99 / p99.9.
 * Each measurement runs `runs` times; the medians are printed, then one JSON line. Client and broker share the
 * machine.
 *
 * Options (`--key=value` or env BENCH_<KEY>): seconds (5), runs (3), connections (4), depth (32), size (1024),
 * queues (8); `--addr=host:port` benches a running broker instead of starting one; `--json` prints only the JSON
 * line.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequest, type RemotingCommand } from '../src/protocol/command.js';
import { CreateTopicRequestHeader } from '../src/protocol/headers/admin.js';
import { PullMessageRequestHeader } from '../src/protocol/headers/pull.js';
import { encodeSendMessageV2 } from '../src/protocol/headers/send.js';
import { encodeProperties } from '../src/protocol/message/properties.js';
import { RequestCode } from '../src/protocol/request-code.js';
import { ResponseCode } from '../src/protocol/response-code.js';
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
  seconds: option('seconds', 5),
  runs: Math.max(1, option('runs', 3)),
  connections: Math.max(1, option('connections', 4)),
  depth: Math.max(1, option('depth', 32)),
  size: option('size', 1024),
  queues: Math.max(1, option('queues', 8)),
};
const jsonOnly = process.argv.includes('--json');
const say = (line: string) => {
  if (!jsonOnly) process.stdout.write(`${line}\n`);
};
const TOPIC = 'BenchBrokerTopic';
const body = Buffer.alloc(opts.size, 0x61);
let seq = 0;

function sendRequest(queueId: number): RemotingCommand {
  seq++;
  return createRequest(RequestCode.SEND_MESSAGE_V2, {
    extFields: encodeSendMessageV2({
      producerGroup: 'bench_producer',
      topic: TOPIC,
      defaultTopic: 'TBW102',
      defaultTopicQueueNums: 4,
      queueId,
      sysFlag: 0,
      bornTimestamp: Date.now(),
      flag: 0,
      properties: encodeProperties({
        TAGS: 'TagA',
        KEYS: `k${seq}`,
        UNIQ_KEY: `BENCH${seq.toString(16).padStart(27, '0')}`,
      }),
      reconsumeTimes: 0,
      unitMode: false,
      batch: false,
    }),
    body,
  });
}

function pullRequest(queueId: number, offset: number): RemotingCommand {
  return createRequest(RequestCode.PULL_MESSAGE, {
    extFields: PullMessageRequestHeader.encode({
      consumerGroup: 'bench_consumer',
      topic: TOPIC,
      queueId,
      queueOffset: offset,
      maxMsgNums: 32,
      sysFlag: 0x4,
      commitOffset: 0,
      suspendTimeoutMillis: 0,
      subscription: '*',
      subVersion: 0,
    }),
  });
}

async function startBroker(dir: string): Promise<{ child: ChildProcess; addr: string }> {
  const conf = join(dir, 'broker.conf');
  await writeFile(
    conf,
    [
      'listenAddress=127.0.0.1',
      'listenPort=0',
      `storePathRootDir=${join(dir, 'store')}`,
      'flushDiskType=ASYNC_FLUSH',
      'namesrvAddr=',
      '',
    ].join('\n'),
  );
  return spawnServerCli('mqbroker', conf);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function produce(clients: RemotingClient[], addr: string): Promise<{ msgs: number; seconds: number }> {
  const end = performance.now() + opts.seconds * 1000;
  let sent = 0;
  let q = 0;
  const start = performance.now();
  const worker = async (client: RemotingClient) => {
    while (performance.now() < end) {
      const res = await client.invoke(addr, sendRequest(q++ % opts.queues), 10_000);
      if (res.code !== ResponseCode.SUCCESS) throw new Error(`send failed: ${res.code} ${res.remark}`);
      sent++;
    }
  };
  await Promise.all(clients.flatMap((c) => Array.from({ length: opts.depth }, () => worker(c))));
  return { msgs: sent, seconds: (performance.now() - start) / 1000 };
}

async function consume(
  client: RemotingClient,
  addr: string,
  from: number[],
): Promise<{ msgs: number; bytes: number; seconds: number; next: number[] }> {
  const next = [...from];
  let msgs = 0;
  let bytes = 0;
  const start = performance.now();
  await Promise.all(
    next.map(async (_, queueId) => {
      for (;;) {
        const res = await client.invoke(addr, pullRequest(queueId, next[queueId]!), 10_000);
        if (res.code !== ResponseCode.SUCCESS) return;
        const nextOffset = Number(res.extFields!.nextBeginOffset);
        msgs += nextOffset - next[queueId]!;
        bytes += res.body?.length ?? 0;
        next[queueId] = nextOffset;
      }
    }),
  );
  return { msgs, bytes, seconds: (performance.now() - start) / 1000, next };
}

async function latency(client: RemotingClient, addr: string): Promise<number[]> {
  const samples: number[] = [];
  const end = performance.now() + opts.seconds * 1000;
  let q = 0;
  while (performance.now() < end) {
    const t0 = performance.now();
    const res = await client.invoke(addr, sendRequest(q++ % opts.queues), 10_000);
    samples.push(performance.now() - t0);
    if (res.code !== ResponseCode.SUCCESS) throw new Error(`send failed: ${res.code}`);
  }
  return samples.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-broker-'));
  const external = process.argv.find((a) => a.startsWith('--addr='))?.slice(7) ?? process.env.BENCH_ADDR;
  const { child, addr } = external ? { child: undefined, addr: external } : await startBroker(dir);
  const clients = Array.from({ length: opts.connections }, () => new RemotingClient());
  try {
    const created = await clients[0]!.invoke(
      addr,
      createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
        extFields: CreateTopicRequestHeader.encode({
          topic: TOPIC,
          defaultTopic: 'TBW102',
          readQueueNums: opts.queues,
          writeQueueNums: opts.queues,
          perm: 6,
          topicFilterType: 'SINGLE_TAG',
          order: false,
        }),
      }),
      5000,
    );
    if (created.code !== ResponseCode.SUCCESS) throw new Error(`create topic: ${created.remark}`);
    say(
      `broker ${addr}; ${opts.connections} connections x ${opts.depth} in flight, ${opts.size}-byte bodies, ` +
        `${opts.queues} queues, ${opts.runs} runs of ${opts.seconds} s`,
    );
    // warm-up
    await produce(clients, addr);
    let offsets = Array.from({ length: opts.queues }, () => 0);
    offsets = (await consume(clients[0]!, addr, offsets)).next;

    const produceRates: number[] = [];
    const consumeRates: number[] = [];
    const consumeMBs: number[] = [];
    const p50: number[] = [];
    const p99: number[] = [];
    const p999: number[] = [];
    for (let run = 1; run <= opts.runs; run++) {
      const p = await produce(clients, addr);
      const c = await consume(clients[0]!, addr, offsets);
      offsets = c.next;
      const l = await latency(clients[0]!, addr);
      offsets = (await consume(clients[0]!, addr, offsets)).next;
      produceRates.push(p.msgs / p.seconds);
      consumeRates.push(c.msgs / c.seconds);
      consumeMBs.push(c.bytes / c.seconds / 1e6);
      p50.push(percentile(l, 0.5));
      p99.push(percentile(l, 0.99));
      p999.push(percentile(l, 0.999));
      say(
        `run ${run}: produce ${Math.round(p.msgs / p.seconds)} msg/s, consume ${Math.round(c.msgs / c.seconds)} msg/s ` +
          `(${c.msgs} msgs), send latency p50 ${percentile(l, 0.5).toFixed(3)} ms p99 ${percentile(l, 0.99).toFixed(3)} ms ` +
          `p99.9 ${percentile(l, 0.999).toFixed(3)} ms (${l.length} sends)`,
      );
    }
    const result = {
      bench: 'broker',
      connections: opts.connections,
      depth: opts.depth,
      size: opts.size,
      queues: opts.queues,
      runs: opts.runs,
      seconds: opts.seconds,
      produceMsgsPerSec: Math.round(median(produceRates)),
      produceMBPerSec: Number(((median(produceRates) * opts.size) / 1e6).toFixed(1)),
      consumeMsgsPerSec: Math.round(median(consumeRates)),
      consumeMBPerSec: Number(median(consumeMBs).toFixed(1)),
      sendLatencyMs: {
        p50: Number(median(p50).toFixed(3)),
        p99: Number(median(p99).toFixed(3)),
        p999: Number(median(p999).toFixed(3)),
      },
    };
    say(
      `median: produce ${result.produceMsgsPerSec} msg/s (${result.produceMBPerSec} MB/s body), consume ` +
        `${result.consumeMsgsPerSec} msg/s (${result.consumeMBPerSec} MB/s), send latency at 1 in flight p50 ` +
        `${result.sendLatencyMs.p50} ms, p99 ${result.sendLatencyMs.p99} ms, p99.9 ${result.sendLatencyMs.p999} ms`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    if (child) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:broker failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
