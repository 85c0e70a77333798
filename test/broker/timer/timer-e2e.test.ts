/**
 * Timer messages end to end: the TypeScript Producer (deliverTimeMs ⇒ TIMER_DELIVER_MS) and the real ali-ons
 * Producer (setStartDeliverTime ⇒ __STARTDELIVERTIME) against NamesrvController + BrokerController in process;
 * arrival on the real topic is timed at the broker's store. Plus a broker restart with pending timers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerController } from '../../../src/broker/broker.js';
import { newTopicConfig } from '../../../src/broker/topic-config-manager.js';
import { Producer } from '../../../src/client/producer.js';
import { decodeProperties } from '../../../src/protocol/message/properties.js';
import { decodeRecord } from '../../../src/protocol/message/record.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import { startTestNamesrv, type TestNamesrv } from '../../namesrv/helpers.js';
import { sendRequest, startTestBroker, type TestBroker } from '../broker-harness.js';

interface Arrival {
  body: string;
  at: number;
  props: Record<string, string>;
}

/** Records every message that reaches `topic` on the broker's store, with the time it arrived. */
function watchTopic(broker: BrokerController, topic: string): Arrival[] {
  const arrivals: Arrival[] = [];
  const store = broker.context.store;
  store.onMessageArrived((t, queueId, queueOffset) => {
    if (t !== topic) return;
    const at = Date.now();
    void store.getMessage('WATCH', topic, queueId, queueOffset, 1, 1 << 20).then((res) => {
      const rec = decodeRecord(res.messages[0]!);
      arrivals.push({ body: rec.body.toString(), at, props: decodeProperties(rec.properties) });
    });
  });
  return arrivals;
}

async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const require = createRequire(import.meta.url);
const ons = require('ali-ons') as {
  Producer: new (options: object) => {
    ready(): Promise<void>;
    close(): Promise<void>;
    on(event: 'error', l: (e: Error) => void): void;
    send(msg: object): Promise<{ sendStatus: string }>;
  };
  Message: new (
    topic: string,
    tags: string,
    body: string,
  ) => {
    setStartDeliverTime(ms: number): void;
  };
};
const quietLogger = { info() {}, warn() {}, error() {}, debug() {} };

describe('timer messages through real producers', () => {
  let ns: TestNamesrv;
  let tb: TestBroker;
  let producer: Producer;

  beforeAll(async () => {
    ns = await startTestNamesrv();
    tb = await startTestBroker({ namesrvAddr: ns.addr, brokerName: 'broker-timer' });
    for (const topic of ['TimerTs', 'TimerOns', 'TimerFar']) {
      await tb.broker.topicManager.upsert(newTopicConfig(topic, { readQueueNums: 2, writeQueueNums: 2 }));
    }
    await tb.broker.registerBrokerAll();
    producer = new Producer({ namesrvAddr: ns.addr, groupName: 'timer-pg', clientIP: '127.0.0.1' });
    await producer.start();
  }, 20_000);

  afterAll(async () => {
    await producer?.shutdown();
    await tb?.close();
    await ns?.close();
  });

  it('delivers a TypeScript Producer message (deliverTimeMs) no earlier than its time, within 2 s after', async () => {
    const arrivals = watchTopic(tb.broker, 'TimerTs');
    const deliverTimeMs = Date.now() + 2200;
    const result = await producer.send({ topic: 'TimerTs', body: 'ts-timed', tags: 'A', deliverTimeMs });
    expect(result.status).toBe('SEND_OK');
    await new Promise((r) => setTimeout(r, 300));
    expect(arrivals).toEqual([]);
    await until('the timed message', () => arrivals.length > 0);
    const [arrival] = arrivals;
    expect(arrival!.body).toBe('ts-timed');
    expect(arrival!.at).toBeGreaterThanOrEqual(deliverTimeMs);
    expect(arrival!.at - deliverTimeMs).toBeLessThan(2000);
    expect(arrival!.props.TAGS).toBe('A');
    expect(arrival!.props.REAL_TOPIC).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(arrivals.length).toBe(1);
  });

  it('delivers an ali-ons message (__STARTDELIVERTIME) no earlier than its time, within 2 s after', async () => {
    const arrivals = watchTopic(tb.broker, 'TimerOns');
    const p = new ons.Producer({
      httpclient: {},
      logger: quietLogger,
      nameSrv: ns.addr,
      producerGroup: 'timer-ons-pg',
      instanceName: 'timer-ons',
    });
    p.on('error', () => undefined);
    try {
      await p.ready();
      const msg = new ons.Message('TimerOns', 'B', 'ons-timed');
      const startDeliverTime = Date.now() + 2000;
      msg.setStartDeliverTime(startDeliverTime);
      const sent = await p.send(msg);
      expect(sent.sendStatus).toBe('SEND_OK');
      await until('the ali-ons timed message', () => arrivals.length > 0);
      expect(arrivals[0]!.body).toBe('ons-timed');
      expect(arrivals[0]!.at).toBeGreaterThanOrEqual(startDeliverTime);
      expect(arrivals[0]!.at - startDeliverTime).toBeLessThan(2000);
      expect(arrivals[0]!.props.__STARTDELIVERTIME).toBe(String(startDeliverTime));
    } finally {
      await p.close();
    }
  });

  it('refuses a delivery time more than 3 days ahead with MESSAGE_ILLEGAL', async () => {
    const tooFar = Date.now() + 259_200_000 + 60_000;
    await expect(producer.send({ topic: 'TimerFar', body: 'x', deliverTimeMs: tooFar })).rejects.toMatchObject({
      responseCode: ResponseCode.MESSAGE_ILLEGAL,
    });
    const raw = await tb.invoke(sendRequest('TimerFar', 'y', { props: { TIMER_DELAY_SEC: '259201' } }));
    expect(raw.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    expect(raw.remark).toMatch(/timerMaxDelaySec/);
  });
});

describe('timer messages across a broker restart', () => {
  it('delivers pending timers once, and a timer that fell due during the downtime at start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'timer-restart-'));
    try {
      let tb = await startTestBroker({}, dir);
      await tb.broker.topicManager.upsert(newTopicConfig('TimerR', { readQueueNums: 1, writeQueueNums: 1 }));
      let arrivals = watchTopic(tb.broker, 'TimerR');
      const t0 = Date.now();
      const due = { before: t0 + 1200, downtime: t0 + 3000, after: t0 + 5500 };
      for (const [body, at] of Object.entries(due)) {
        const res = await tb.invoke(sendRequest('TimerR', body, { props: { TIMER_DELIVER_MS: String(at) } }));
        expect(res.code).toBe(ResponseCode.SUCCESS);
      }
      await until('the first timer', () => arrivals.length === 1);
      expect(arrivals[0]!.body).toBe('before');
      await tb.close(true);

      await new Promise((r) => setTimeout(r, Math.max(0, due.downtime + 800 - Date.now())));
      tb = await startTestBroker({}, dir);
      const before = await tb.broker.context.store.getMessage('G', 'TimerR', 0, 0, 10, 1 << 20);
      arrivals = watchTopic(tb.broker, 'TimerR');
      await until('the timer due during the downtime', () => before.messages.length + arrivals.length >= 2);
      await until('the later timer', () => arrivals.some((a) => a.body === 'after'));
      expect(arrivals.find((a) => a.body === 'after')!.at).toBeGreaterThanOrEqual(due.after);
      await new Promise((r) => setTimeout(r, 1200));
      const all = await tb.broker.context.store.getMessage('G', 'TimerR', 0, 0, 10, 1 << 20);
      expect(all.messages.map((m) => decodeRecord(m).body.toString())).toEqual(['before', 'downtime', 'after']);
      await tb.close(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
