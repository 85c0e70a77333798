/**
 * ScheduleMessageService over a real FileStore in a temp dir: unusable schedule records are skipped without
 * blocking their level, and a record whose tagsCode claims it is due is still held until store time + delay.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScheduleMessageService } from '../../src/broker/schedule-message-service.js';
import { silentLogger } from '../../src/common/logger.js';
import { encodeProperties } from '../../src/protocol/message/properties.js';
import { decodeRecord, type MessageRecord } from '../../src/protocol/message/record.js';
import type { FileStore } from '../../src/store/file-store.js';
import type { MessageToStore } from '../../src/store/message-store.js';
import { newStore, removeDir, tempDir } from '../store/helpers.js';

function scheduled(props: Record<string, string>, queueId: number, tagsCode: number, body: string): MessageToStore {
  return {
    topic: 'SCHEDULE_TOPIC_XXXX',
    queueId,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: Date.now(),
    bornHost: { host: '10.0.0.1', port: 5555 },
    body: Buffer.from(body),
    properties: encodeProperties(props),
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    tagsCode,
  };
}

async function delivered(store: FileStore, topic: string): Promise<MessageRecord[]> {
  const r = await store.getMessage('G', topic, 0, 0, 32, 1 << 20);
  return r.messages.map((buf) => decodeRecord(buf));
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ScheduleMessageService', () => {
  let dir: string | undefined;
  let store: FileStore | undefined;
  let service: ScheduleMessageService | undefined;
  afterEach(async () => {
    await service?.shutdown();
    await store?.shutdown();
    if (dir) removeDir(dir);
    service = undefined;
    store = undefined;
    dir = undefined;
  });

  async function setUp(levels: number[]): Promise<{ store: FileStore; service: ScheduleMessageService }> {
    dir = tempDir('schedule-');
    store = newStore(dir);
    await store.start();
    service = new ScheduleMessageService({
      store,
      levels,
      configDir: join(dir, 'config'),
      logger: silentLogger,
      flushIntervalMs: 100,
    });
    return { store, service };
  }

  it('skips records without REAL_TOPIC or with a topic the store refuses, and delivers the ones after them', async () => {
    const { store: s, service: svc } = await setUp([0]);
    const now = Date.now();
    await s.putMessage(scheduled({ REAL_QID: '0' }, 0, now, 'no-real-topic'));
    await s.putMessage(scheduled({ REAL_TOPIC: 'bad topic!', REAL_QID: '0' }, 0, now, 'illegal'));
    await s.putMessage(scheduled({ REAL_TOPIC: 'Good', REAL_QID: '0', DELAY: '1' }, 0, now, 'fine'));
    await svc.start();
    await until('delivery', async () => (await delivered(s, 'Good')).length === 1);
    expect((await delivered(s, 'Good')).map((r) => r.body.toString())).toEqual(['fine']);
    expect(svc.offsetTable().get(1)).toBe(3);
    await until('delayOffset.json', async () => {
      try {
        return readFileSync(join(dir!, 'config', 'delayOffset.json'), 'utf8') === '{"offsetTable":{1:3}}';
      } catch {
        return false;
      }
    });
  });

  it('holds a record until store time + level delay even when its tagsCode says it is due', async () => {
    const { store: s, service: svc } = await setUp([800]);
    await svc.start();
    const put = await s.putMessage(scheduled({ REAL_TOPIC: 'Held', REAL_QID: '0', DELAY: '1' }, 0, 0, 'held'));
    await new Promise((r) => setTimeout(r, 300));
    expect(await delivered(s, 'Held')).toEqual([]);
    await until('delivery', async () => (await delivered(s, 'Held')).length === 1);
    const [rec] = await delivered(s, 'Held');
    expect(rec!.body.toString()).toBe('held');
    expect(rec!.storeTimestamp - put.storeTimestamp).toBeGreaterThanOrEqual(800);
  });
});
