/**
 * The real ali-ons client against our NameServer and broker, in process on free ports: retries through
 * `%RETRY%<group>`, dead letters after the configured maximum (listed and resent with our Admin), and delay levels.
 * Short delay levels keep it fast: level 2 = 2 s, every other level 1 s (retries use levels 3, 4, ...).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerController } from '../../../src/broker/broker.js';
import { defaultSubscriptionGroupConfig } from '../../../src/broker/subscription-group-manager.js';
import { Admin } from '../../../src/client/admin.js';
import { AliOnsCluster, type AliMessage, ons } from '../../support/ali-ons.js';
import { until } from '../../support/until.js';

const LEVELS = ['1s', '2s', ...Array.from({ length: 16 }, () => '1s')].join(' ');

const cluster = new AliOnsCluster();
let broker: BrokerController;
let admin: Admin;

beforeAll(async () => {
  await cluster.start({ innerInstanceName: 'inner', broker: { messageDelayLevel: LEVELS } });
  broker = cluster.broker;
  admin = new Admin({ namesrvAddr: cluster.ns.addr, instanceName: 'dlq-admin' });
  await admin.start();
}, 30_000);
afterEach(() => cluster.closeClients());
afterAll(async () => {
  await admin?.shutdown();
  await cluster.stop();
}, 30_000);

const createTopic = (topic: string) => cluster.createTopic(topic, 2);
const producer = (group: string) => cluster.producer(group);
const consumer = (group: string, extra: object = {}) =>
  cluster.consumer(group, `${group}-c`, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', ...extra });

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
