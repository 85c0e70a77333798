/**
 * Delayed messages pending across a broker restart: progress survives in config/delayOffset.json, pending messages
 * are delivered after the restart, none twice and none early.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDelayLevels, scheduleTagsCodeOf } from '../../src/broker/delay-levels.js';
import { parseJson } from '../../src/protocol/fastjson.js';
import { decodeRecords, type MessageRecord } from '../../src/protocol/message/record.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { pullRequest, sendRequest, startTestBroker, type TestBroker } from './broker-harness.js';

const LEVELS = '1s 3s';

async function pullAll(b: TestBroker, topic: string, queueId = 0): Promise<MessageRecord[]> {
  const res = await b.invoke(pullRequest(topic, queueId, 0));
  return res.code === ResponseCode.SUCCESS ? decodeRecords(res.body!) : [];
}

async function untilCount(b: TestBroker, topic: string, n: number, timeoutMs = 10_000): Promise<MessageRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await pullAll(b, topic);
    if (got.length >= n) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} messages in ${topic}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('delayed messages across a restart', () => {
  let dir: string | undefined;
  let b: TestBroker | undefined;
  afterEach(async () => {
    await b?.close(true);
    b = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('delivers the pending ones after the restart, each once and not early; delayOffset.json keeps progress', async () => {
    dir = await mkdtemp(join(tmpdir(), 'delay-restart-'));
    b = await startTestBroker({ messageDelayLevel: LEVELS }, dir);
    await b.invoke(sendRequest('RestartTopic', 'A', { props: { DELAY: '1' } }));
    await untilCount(b, 'RestartTopic', 1);
    await b.invoke(sendRequest('RestartTopic', 'B', { props: { DELAY: '2' } }));
    await b.invoke(sendRequest('RestartTopic', 'C', { props: { DELAY: '2' } }));
    const parked = await pullAll(b, 'SCHEDULE_TOPIC_XXXX', 1);
    expect(parked.map((r) => r.body.toString())).toEqual(['B', 'C']);
    await b.close(true);
    b = undefined;

    const saved = await readFile(join(dir, 'store', 'config', 'delayOffset.json'), 'utf8');
    expect(saved).toBe('{"offsetTable":{1:1,2:0}}');

    b = await startTestBroker({ messageDelayLevel: LEVELS }, dir);
    const delivered = await untilCount(b, 'RestartTopic', 3);
    // give a duplicate the chance to show up
    await new Promise((r) => setTimeout(r, 600));
    const all = await pullAll(b, 'RestartTopic');
    expect(all.map((r) => r.body.toString())).toEqual(['A', 'B', 'C']);
    for (const [i, rec] of delivered.slice(1, 3).entries()) {
      expect(rec.storeTimestamp - parked[i]!.storeTimestamp).toBeGreaterThanOrEqual(3000);
    }
    expect(b.broker.scheduleMessageService.offsetTable().get(2)).toBe(2);
    await b.close(true);
    b = undefined;
    const after = parseJson(await readFile(join(dir, 'store', 'config', 'delayOffset.json'), 'utf8'));
    expect(after).toEqual({ offsetTable: { 1: 1, 2: 2 } });
  }, 30_000);

  it('recovery gives schedule records their delivery time as tagsCode', () => {
    const levels = parseDelayLevels(LEVELS);
    expect(scheduleTagsCodeOf('SCHEDULE_TOPIC_XXXX', { DELAY: '2' }, 10_000, levels)).toBe(13_000);
    expect(scheduleTagsCodeOf('SCHEDULE_TOPIC_XXXX', { DELAY: '9' }, 10_000, levels)).toBe(13_000);
    expect(scheduleTagsCodeOf('SCHEDULE_TOPIC_XXXX', {}, 10_000, levels)).toBe(10_000);
    expect(scheduleTagsCodeOf('Other', { DELAY: '2' }, 10_000, levels)).toBeUndefined();
  });
});
