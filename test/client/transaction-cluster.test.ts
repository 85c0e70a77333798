/**
 * The TypeScript TransactionProducer against the real NameServer and BrokerController (temp dirs, 127.0.0.1):
 * commit, rollback, unknown outcomes resolved by the broker's check-back (also after a producer restart and a broker
 * restart), the check limit, and consumers that see each committed message exactly once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerConfig } from '../../src/broker/broker-config.js';
import { Admin } from '../../src/client/admin.js';
import { PushConsumer } from '../../src/client/push-consumer.js';
import {
  type LocalTransactionState,
  TransactionProducer,
  type TransactionProducerOptions,
} from '../../src/client/transaction-producer.js';
import { decodeProperties } from '../../src/protocol/message/properties.js';
import { decodeRecords, type MessageRecord } from '../../src/protocol/message/record.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { pullRequest, startTestBroker, type TestBroker } from '../broker/broker-harness.js';
import { startTestNamesrv, type TestNamesrv } from '../namesrv/helpers.js';

const TOPIC = 'TxOrders';
const QUEUES = 2;
/** Short transaction timings so check-backs happen within a test. */
const TX_CONFIG: Partial<BrokerConfig> = { transactionTimeOut: 300, transactionCheckInterval: 200 };

let ns: TestNamesrv;
let broker: TestBroker;
let brokerConfig: Partial<BrokerConfig>;
const closers: Array<() => Promise<void>> = [];

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function startBroker(dir?: string, port = 0): Promise<TestBroker> {
  return startTestBroker({ namesrvAddr: ns.addr, brokerName: 'broker-tx', listenPort: port, ...brokerConfig }, dir);
}

async function startProducer(
  group: string,
  listener: Pick<TransactionProducerOptions, 'executeLocalTransaction' | 'checkLocalTransaction'>,
): Promise<TransactionProducer> {
  const producer = new TransactionProducer({
    namesrvAddr: ns.addr,
    groupName: group,
    clientIP: '127.0.0.1',
    heartbeatBrokerIntervalMs: 200,
    pollNameServerIntervalMs: 500,
    ...listener,
  });
  await producer.start();
  closers.push(() => producer.shutdown());
  return producer;
}

/** Every record of `topic` on the broker, all queues, from offset 0 (raw PULL). */
async function stored(topic: string, queues = QUEUES): Promise<MessageRecord[]> {
  const out: MessageRecord[] = [];
  for (let q = 0; q < queues; q++) {
    const res = await broker.invoke(pullRequest(topic, q, 0, { consumerGroup: 'raw-reader' }));
    if (res.code === ResponseCode.SUCCESS) out.push(...decodeRecords(res.body ?? Buffer.alloc(0)));
  }
  return out;
}

const bodies = (records: MessageRecord[]): string[] => records.map((r) => r.body.toString()).sort();

/** Starts a broker with a fresh store and `config`, hosting TOPIC with QUEUES queues. */
async function freshBroker(config: Partial<BrokerConfig>): Promise<TestBroker> {
  brokerConfig = config;
  const started = await startBroker();
  const admin = new Admin({ namesrvAddr: ns.addr });
  await admin.start();
  await admin.createTopic(TOPIC, { readQueueNums: QUEUES, writeQueueNums: QUEUES });
  await admin.shutdown();
  return started;
}

beforeEach(async () => {
  ns = await startTestNamesrv();
  broker = await freshBroker(TX_CONFIG);
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  await broker.close();
  await ns.close();
});

describe('TransactionProducer against the broker', () => {
  it('commit is delivered once, rollback never, and a PushConsumer sees exactly the committed messages', async () => {
    const outcomes: Record<string, LocalTransactionState> = { a: 'COMMIT', b: 'ROLLBACK', c: 'COMMIT' };
    const producer = await startProducer('tx-basic', {
      executeLocalTransaction: (msg) => outcomes[String(msg.body)] ?? 'UNKNOWN',
      checkLocalTransaction: () => 'ROLLBACK',
    });
    for (const body of ['a', 'b', 'c']) {
      const result = await producer.sendMessageInTransaction({ topic: TOPIC, body });
      expect(result.status).toBe('SEND_OK');
      expect(result.localTransactionState).toBe(outcomes[body]);
    }
    await until('two committed messages', async () => (await stored(TOPIC)).length === 2);
    const records = await stored(TOPIC);
    expect(bodies(records)).toEqual(['a', 'c']);
    for (const r of records) expect(decodeProperties(r.properties).TRAN_MSG).toBeUndefined();

    const seen: string[] = [];
    const consumer = new PushConsumer({
      namesrvAddr: ns.addr,
      consumerGroup: 'tx-consumer',
      clientIP: '127.0.0.1',
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    });
    consumer.subscribe(TOPIC, '*');
    consumer.onMessage((msg) => {
      seen.push(msg.body.toString());
    });
    await consumer.start();
    closers.push(() => consumer.shutdown());
    await until('the consumer sees both', () => seen.length >= 2);
    // a check pass or two later nothing more arrives
    await new Promise((r) => setTimeout(r, 600));
    expect(seen.sort()).toEqual(['a', 'c']);
  });

  it('resolves an UNKNOWN transaction by check-back (CHECK_TRANSACTION_STATE → END_TRANSACTION fromTransactionCheck)', async () => {
    const checked: Array<{ topic: string; body: string; uniq: string | undefined }> = [];
    const producer = await startProducer('tx-check', {
      executeLocalTransaction: () => 'UNKNOWN',
      checkLocalTransaction: (msg) => {
        checked.push({ topic: msg.topic, body: msg.body.toString(), uniq: msg.properties.UNIQ_KEY });
        return 'COMMIT';
      },
    });
    const result = await producer.sendMessageInTransaction({ topic: TOPIC, body: 'later', tags: 'T1' });
    expect(result.localTransactionState).toBe('UNKNOWN');
    expect(await stored(TOPIC)).toEqual([]);
    await until('the committed message', async () => (await stored(TOPIC)).length === 1);
    expect(checked[0]).toEqual({ topic: TOPIC, body: 'later', uniq: result.msgId });
    await new Promise((r) => setTimeout(r, 800));
    expect(checked.length).toBe(1);
    const records = await stored(TOPIC);
    expect(bodies(records)).toEqual(['later']);
    expect(records[0]?.queueId).toBe(result.messageQueue.queueId);
  });

  it('checks back with a new producer of the group after the first one went away', async () => {
    const first = await startProducer('tx-restart', {
      executeLocalTransaction: () => 'UNKNOWN',
      checkLocalTransaction: () => 'UNKNOWN',
    });
    await first.sendMessageInTransaction({ topic: TOPIC, body: 'survives-producer' });
    await first.shutdown();
    const checks: string[] = [];
    await startProducer('tx-restart', {
      executeLocalTransaction: () => 'UNKNOWN',
      checkLocalTransaction: (msg) => {
        checks.push(msg.body.toString());
        return 'COMMIT';
      },
    });
    await until('the committed message', async () => (await stored(TOPIC)).length === 1);
    expect(checks).toEqual(['survives-producer']);
    expect(bodies(await stored(TOPIC))).toEqual(['survives-producer']);
  });

  it('keeps unresolved half messages and resolved outcomes across a broker restart', async () => {
    // long timeout first: nothing is checked before the restart
    await broker.close();
    broker = await freshBroker({ transactionTimeOut: 60_000, transactionCheckInterval: 200 });
    let checkAnswer: LocalTransactionState = 'UNKNOWN';
    const checks: string[] = [];
    const outcomes: Record<string, LocalTransactionState> = { committed: 'COMMIT', rolled: 'ROLLBACK' };
    const producer = await startProducer('tx-broker-restart', {
      executeLocalTransaction: (msg) => outcomes[String(msg.body)] ?? 'UNKNOWN',
      checkLocalTransaction: (msg) => {
        checks.push(msg.body.toString());
        return checkAnswer;
      },
    });
    for (const body of ['committed', 'rolled', 'pending'])
      await producer.sendMessageInTransaction({ topic: TOPIC, body });
    await until('the committed message', async () => (await stored(TOPIC)).length === 1);
    // END_TRANSACTION is one-way: wait until the broker wrote both op records before stopping it
    await until('two op records', async () => (await stored('RMQ_SYS_TRANS_OP_HALF_TOPIC', 1)).length === 2);

    const port = Number(broker.addr.split(':')[1]);
    const dir = broker.dir;
    await broker.close(true);
    brokerConfig = TX_CONFIG;
    checkAnswer = 'COMMIT';
    broker = await startBroker(dir, port);
    await until('the pending message committed by check-back', async () => (await stored(TOPIC)).length === 2);
    await new Promise((r) => setTimeout(r, 800));
    expect(checks).toEqual(['pending']);
    expect(bodies(await stored(TOPIC))).toEqual(['committed', 'pending']);

    // and once more: the check-back outcome itself survives a restart
    await broker.close(true);
    broker = await startBroker(dir, port);
    await new Promise((r) => setTimeout(r, 800));
    expect(checks).toEqual(['pending']);
    expect(bodies(await stored(TOPIC))).toEqual(['committed', 'pending']);
  });

  it('gives up after transactionCheckMax checks and moves the half message to TRANS_CHECK_MAX_TIME_TOPIC', async () => {
    await broker.close();
    broker = await freshBroker({ ...TX_CONFIG, transactionCheckMax: 2 });
    let checks = 0;
    const producer = await startProducer('tx-give-up', {
      executeLocalTransaction: () => 'UNKNOWN',
      checkLocalTransaction: () => {
        checks++;
        return 'UNKNOWN';
      },
    });
    await producer.sendMessageInTransaction({ topic: TOPIC, body: 'never-decided' });
    await until('the discarded copy', async () => (await stored('TRANS_CHECK_MAX_TIME_TOPIC', 1)).length === 1);
    await new Promise((r) => setTimeout(r, 600));
    expect(checks).toBe(2);
    expect(await stored(TOPIC)).toEqual([]);
    const [discarded] = await stored('TRANS_CHECK_MAX_TIME_TOPIC', 1);
    expect(discarded?.body.toString()).toBe('never-decided');
    expect(decodeProperties(discarded?.properties ?? '')).toMatchObject({
      REAL_TOPIC: TOPIC,
      TRANSACTION_CHECK_TIMES: '2',
    });
  });
});
