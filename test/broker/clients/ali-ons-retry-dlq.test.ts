/**
 * The real ali-ons client against our NameServer and broker, in process on free ports: retries through
 * `%RETRY%<group>`, dead letters after the configured maximum (listed and resent with our Admin), and delay levels.
 * Short delay levels keep it fast: level 2 = 2 s, every other level 1 s (retries use levels 3, 4, ...).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrokerController } from '../../../src/broker/broker.js';
import { resolveBrokerConfig } from '../../../src/broker/broker-config.js';
import { defaultSubscriptionGroupConfig } from '../../../src/broker/subscription-group-manager.js';
import { newTopicConfig } from '../../../src/broker/topic-config-manager.js';
import { Admin } from '../../../src/client/admin.js';
import { startTestNamesrv, type TestNamesrv } from '../../namesrv/helpers.js';

interface AliMessage {
  topic: string;
  tags: string;
  msgId: string;
  body: Buffer;
  reconsumeTimes: number;
  properties: Record<string, string>;
}
interface AliClient {
  ready(): Promise<void>;
  close(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): void;
}
interface AliProducer extends AliClient {
  send(msg: object): Promise<{ sendStatus: string; msgId: string }>;
}
interface AliConsumer extends AliClient {
  subscribe(topic: string, expression: string, handler: (msg: AliMessage) => Promise<void>): void;
}

const require = createRequire(import.meta.url);
const ons = require('ali-ons') as {
  Producer: (new (options: object) => AliProducer) & {
    getDefaultProducer(options: object): Promise<AliProducer>;
    defaultProducer: AliProducer | null;
  };
  Consumer: new (options: object) => AliConsumer;
  Message: new (topic: string, tags: string, body: string | Buffer) => { keys: string[]; delayTimeLevel: number };
};
const quietLogger = { info() {}, warn() {}, error() {}, debug() {} };
const FAST = {
  httpclient: {},
  logger: quietLogger,
  rebalanceInterval: 300,
  heartbeatBrokerInterval: 1000,
  pollNameServerInteval: 500,
  persistConsumerOffsetInterval: 300,
  brokerSuspendMaxTimeMillis: 1000,
};
const LEVELS = ['1s', '2s', ...Array.from({ length: 16 }, () => '1s')].join(' ');

let ns: TestNamesrv;
let broker: BrokerController;
let dir: string;
let admin: Admin;
const clients: AliClient[] = [];

beforeAll(async () => {
  ns = await startTestNamesrv();
  dir = await mkdtemp(join(tmpdir(), 'ali-ons-dlq-'));
  broker = new BrokerController({
    config: resolveBrokerConfig({
      listenAddress: '127.0.0.1',
      listenPort: 0,
      brokerIP1: '127.0.0.1',
      namesrvAddr: ns.addr,
      storePathRootDir: join(dir, 'store'),
      mappedFileSizeCommitLog: 4 * 1024 * 1024,
      flushIntervalCommitLog: 50,
      messageDelayLevel: LEVELS,
    }),
    closeGraceMs: 200,
  });
  await broker.start();
  const inner = await ons.Producer.getDefaultProducer({ ...FAST, nameSrv: ns.addr, instanceName: 'inner' });
  inner.on('error', () => undefined);
  admin = new Admin({ namesrvAddr: ns.addr, instanceName: 'dlq-admin' });
  await admin.start();
}, 30_000);

afterEach(async () => {
  for (const client of clients.splice(0).reverse()) await client.close().catch(() => undefined);
});

afterAll(async () => {
  await admin?.shutdown();
  await ons.Producer.defaultProducer?.close().catch(() => undefined);
  ons.Producer.defaultProducer = null;
  await broker?.shutdown();
  await ns?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

async function createTopic(topic: string): Promise<void> {
  await broker.topicManager.upsert(newTopicConfig(topic, { readQueueNums: 2, writeQueueNums: 2 }));
  await broker.registerBrokerAll();
}

async function producer(group: string): Promise<AliProducer> {
  const p = new ons.Producer({ ...FAST, nameSrv: ns.addr, producerGroup: group, instanceName: `${group}-p` });
  p.on('error', () => undefined);
  clients.push(p);
  await p.ready();
  return p;
}

function consumer(group: string, extra: object = {}): AliConsumer {
  const c = new ons.Consumer({
    ...FAST,
    nameSrv: ns.addr,
    consumerGroup: group,
    instanceName: `${group}-c`,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    ...extra,
  });
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 25_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ali-ons: retry, dead letters and delay levels', () => {
  it('a consumer that throws gets the message again through %RETRY% with its count and original topic', async () => {
    const topic = 'AliDlqRetryTopic';
    const group = 'GID_DLQ_RETRY';
    await createTopic(topic);
    const p = await producer('PID_DLQ_RETRY');
    const seen: AliMessage[] = [];
    const c = consumer(group);
    c.subscribe(topic, '*', async (msg) => {
      seen.push(msg);
      if (seen.length < 3) throw new Error('fail twice');
    });
    await c.ready();
    const msg = new ons.Message(topic, 'TagR', 'again');
    msg.keys = ['key-again'];
    const sent = await p.send(msg);
    await until('two redeliveries', () => seen.length >= 3);
    expect(seen.map((m) => m.reconsumeTimes)).toEqual([0, 1, 2]);
    for (const m of seen) {
      expect(m.topic).toBe(topic);
      expect(m.body.toString()).toBe('again');
    }
    expect(seen[1]!.properties.RETRY_TOPIC).toBe(topic);
    expect(seen[1]!.properties.ORIGIN_MESSAGE_ID).toBe(seen[2]!.properties.ORIGIN_MESSAGE_ID);
    expect(seen[0]!.msgId).toBe(sent.msgId);
  }, 60_000);

  it('a message that always fails reaches %DLQ%<group> after the maximum and the Admin resends it', async () => {
    const topic = 'AliDlqTopic';
    const group = 'GID_DLQ_ALWAYS';
    await createTopic(topic);
    await broker.clientServices.subscriptionGroups.upsert({
      ...defaultSubscriptionGroupConfig(group),
      retryMaxTimes: 2,
    });
    const p = await producer('PID_DLQ_ALWAYS');
    const attempts: number[] = [];
    const fresh: AliMessage[] = [];
    let failing = true;
    const c = consumer(group, { maxReconsumeTimes: 2 });
    c.subscribe(topic, '*', async (msg) => {
      if (!failing) {
        fresh.push(msg);
        return;
      }
      attempts.push(msg.reconsumeTimes);
      throw new Error('always fails');
    });
    await c.ready();
    const msg = new ons.Message(topic, 'TagD', 'doomed');
    msg.keys = ['key-doomed'];
    await p.send(msg);

    let dead: Awaited<ReturnType<Admin['listDeadLetters']>> = [];
    await until('the dead letter', async () => {
      dead = await admin.listDeadLetters(group);
      return dead.length > 0;
    });
    expect(attempts).toEqual([0, 1, 2]);
    expect(broker.topicManager.get(`%DLQ%${group}`)).toMatchObject({ readQueueNums: 1, writeQueueNums: 1, perm: 6 });
    expect(dead).toHaveLength(1);
    const letter = dead[0]!;
    expect(letter.topic).toBe(topic);
    expect(letter.body.toString()).toBe('doomed');
    expect(letter.tags).toBe('TagD');
    expect(letter.keys).toBe('key-doomed');
    expect(letter.reconsumeTimes).toBe(3);

    failing = false;
    const result = await admin.resendDeadLetters(group, { msgIds: [letter.msgId, 'NO_SUCH_ID'] });
    expect(result).toMatchObject({ selected: 1, resent: 1, failed: 0, notFound: ['NO_SUCH_ID'] });
    await until('the resent message', () => fresh.length >= 1);
    expect(fresh[0]!.topic).toBe(topic);
    expect(fresh[0]!.body.toString()).toBe('doomed');
    expect(fresh[0]!.tags).toBe('TagD');
    expect(fresh[0]!.reconsumeTimes).toBe(0);
    expect(fresh[0]!.properties.RETRY_TOPIC).toBeUndefined();
    expect(fresh[0]!.properties.DLQ_ORIGIN_TOPIC).toBeUndefined();
    // a time-range resend selects it again (the DLQ keeps its copy)
    const byRange = await admin.resendDeadLetters(group, { begin: 0, end: Date.now() });
    expect(byRange).toMatchObject({ selected: 1, resent: 1, failed: 0 });
    await until('the second resend', () => fresh.length >= 2);
    expect(await admin.listDeadLetters('GID_WITHOUT_DLQ')).toEqual([]);
  }, 90_000);

  it('a message with a delay level arrives no earlier than its delay', async () => {
    const topic = 'AliDelayTopic';
    await createTopic(topic);
    const p = await producer('PID_DELAY');
    const arrivals: number[] = [];
    const c = consumer('GID_DELAY');
    c.subscribe(topic, '*', async () => {
      arrivals.push(Date.now());
    });
    await c.ready();
    const msg = new ons.Message(topic, 'TagL', 'later');
    msg.delayTimeLevel = 2;
    const sentAt = Date.now();
    await p.send(msg);
    await until('the delayed message', () => arrivals.length >= 1);
    expect(arrivals[0]! - sentAt).toBeGreaterThanOrEqual(2000);
  }, 60_000);
});
