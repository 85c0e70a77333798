import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BrokerConfig, resolveBrokerConfig } from '../../src/broker/broker-config.js';
import { encodeRegisterBrokerBody, registerBodyCrc32, splitNamesrvAddr } from '../../src/broker/namesrv-api.js';
import { buildTagSubscription, createTagFilter, pullCode } from '../../src/broker/pull.js';
import { type HeldPull, PullHoldService } from '../../src/broker/pull-hold.js';
import { applyTopicAttributes } from '../../src/broker/topic-admin.js';
import { decodeTopicsJson, TopicConfigManager } from '../../src/broker/topic-config-manager.js';
import { isSendForbiddenTopic, isSystemTopic, topicNameProblem } from '../../src/broker/topic-validator.js';
import { silentLogger } from '../../src/common/logger.js';
import { decodeRegisterBrokerBody } from '../../src/namesrv/register-body.js';
import { javaStringHashCode } from '../../src/protocol/message/hash.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import type { GetMessageResult } from '../../src/store/message-store.js';

describe('topic names', () => {
  it('accepts RocketMQ names and rejects bad characters, blanks and over-long names', () => {
    expect(topicNameProblem('Topic_A-1%x|y')).toBeUndefined();
    expect(topicNameProblem('')).toMatch(/blank/);
    expect(topicNameProblem('a b')).toMatch(/illegal characters/);
    expect(topicNameProblem('ü')).toMatch(/illegal characters/);
    expect(topicNameProblem('x'.repeat(127))).toBeUndefined();
    expect(topicNameProblem('x'.repeat(128))).toMatch(/max length 127/);
    expect(topicNameProblem(`%RETRY%${'x'.repeat(240)}`)).toBeUndefined();
    expect(topicNameProblem(`%DLQ%${'x'.repeat(251)}`)).toMatch(/max length 255/);
  });

  it('knows system and send-forbidden topics', () => {
    expect(isSystemTopic('TBW102')).toBe(true);
    expect(isSystemTopic('rmq_sys_anything')).toBe(true);
    expect(isSystemTopic('TopicTest')).toBe(false);
    expect(isSendForbiddenTopic('SCHEDULE_TOPIC_XXXX')).toBe(true);
    expect(isSendForbiddenTopic('TBW102')).toBe(false);
  });

  it('never throws on any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const problem = topicNameProblem(s);
        expect(problem === undefined || typeof problem === 'string').toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('topic attributes', () => {
  it('adds and removes', () => {
    expect(applyTopicAttributes({ a: '1', b: '2' }, '+c=3,-a')).toEqual({ b: '2', c: '3' });
    expect(applyTopicAttributes({}, undefined)).toEqual({});
    expect(applyTopicAttributes({}, 'c=3')).toBeUndefined();
    expect(applyTopicAttributes({}, '+=3')).toBeUndefined();
  });
});

describe('tag subscriptions', () => {
  it('builds code sets like FilterAPI and filters by hash code', () => {
    const sub = buildTagSubscription('T', ' TagA || TagB ||', 5)!;
    expect(sub.tagsSet).toEqual(['TagA', 'TagB']);
    expect(sub.codeSet).toEqual([javaStringHashCode('TagA'), javaStringHashCode('TagB')]);
    const filter = createTagFilter(sub);
    expect(filter.isMatchedByConsumeQueue(javaStringHashCode('TagA'))).toBe(true);
    expect(filter.isMatchedByConsumeQueue(javaStringHashCode('TagC'))).toBe(false);
    const all = createTagFilter(buildTagSubscription('T', undefined, 0)!);
    expect(all.isMatchedByConsumeQueue(12345)).toBe(true);
    expect(buildTagSubscription('T', '||', 0)).toBeUndefined();
  });

  it('maps store statuses to pull codes as Java does', () => {
    const r = (status: GetMessageResult['status']) => ({ status }) as GetMessageResult;
    expect(pullCode(r('FOUND'), 0)).toBe(ResponseCode.SUCCESS);
    expect(pullCode(r('NO_MATCHED_MESSAGE'), 0)).toBe(ResponseCode.PULL_RETRY_IMMEDIATELY);
    expect(pullCode(r('NO_MESSAGE_IN_QUEUE'), 0)).toBe(ResponseCode.PULL_NOT_FOUND);
    expect(pullCode(r('NO_MESSAGE_IN_QUEUE'), 3)).toBe(ResponseCode.PULL_OFFSET_MOVED);
    expect(pullCode(r('OFFSET_OVERFLOW_ONE'), 3)).toBe(ResponseCode.PULL_NOT_FOUND);
    expect(pullCode(r('OFFSET_OVERFLOW_BADLY'), 3)).toBe(ResponseCode.PULL_OFFSET_MOVED);
    expect(pullCode(r('OFFSET_TOO_SMALL'), 3)).toBe(ResponseCode.PULL_OFFSET_MOVED);
  });
});

describe('PullHoldService', () => {
  const clock = { now: 1000 };
  let maxOffset = 0;
  let service: PullHoldService;
  const woken: string[] = [];
  const pull = (name: string, offset: number, deadline: number, matches = true): HeldPull => ({
    topic: 'T',
    queueId: 0,
    offset,
    deadline,
    filter: { isMatchedByConsumeQueue: () => matches },
    wake: async () => {
      woken.push(name);
    },
  });
  beforeEach(() => {
    woken.length = 0;
    maxOffset = 0;
    service = new PullHoldService({ logger: silentLogger, now: () => clock.now, maxOffsetInQueue: () => maxOffset });
  });

  it('wakes matching pulls on arrival, expired ones on scan, and all on shutdown', async () => {
    service.hold(pull('a', 0, 5000));
    service.hold(pull('filtered', 0, 5000, false));
    service.hold(pull('later', 3, 5000));
    service.hold(pull('short', 0, 1500, false));
    expect(service.size).toBe(4);
    service.notifyMessageArriving('T', 1, 0, 0);
    service.notifyMessageArriving('T', 0, 0, 0);
    expect(woken).toEqual(['a']);
    clock.now = 2000;
    service.expire();
    expect(woken).toEqual(['a', 'short']);
    await service.shutdown();
    expect(woken.sort()).toEqual(['a', 'filtered', 'later', 'short']);
    expect(service.size).toBe(0);
  });

  it('wakes at once when a message arrived before the pull was parked', () => {
    maxOffset = 2;
    service.hold(pull('raced', 1, 5000));
    expect(woken).toEqual(['raced']);
    expect(service.size).toBe(0);
  });
});

describe('TopicConfigManager', () => {
  let dir: string;
  let registrations = 0;
  const make = (overrides: Partial<BrokerConfig> = {}) =>
    new TopicConfigManager({
      config: resolveBrokerConfig(overrides),
      logger: silentLogger,
      configDir: dir,
      registerBrokerAll: async () => {
        registrations++;
      },
      now: () => 1_700_000_000_000,
    });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'topics-'));
    registrations = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the system topics and TBW102 (perm 7, defaultTopicQueueNums queues)', async () => {
    const m = make({ defaultTopicQueueNums: 6 });
    await m.load();
    expect(m.get('TBW102')).toMatchObject({ perm: 7, readQueueNums: 6, writeQueueNums: 6 });
    expect(m.get('SELF_TEST_TOPIC')).toBeDefined();
    expect(m.get('DefaultCluster')?.perm).toBe(7);
    expect(m.get('broker-a')?.perm).toBe(7);
    const off = make({ autoCreateTopicEnable: false, brokerName: 'b2' });
    await rm(join(dir, 'topics.json'));
    await rm(join(dir, 'topics.json.bak'), { force: true });
    await off.load();
    expect(off.get('TBW102')).toBeUndefined();
  });

  it('auto-creates from an inheritable template with min(client, template) queues and bumps the version', async () => {
    const m = make();
    await m.load();
    const before = m.dataVersion.counter;
    const created = m.createTopicInSendMessageMethod('NewT', 'TBW102', 4, 0)!;
    expect(created).toMatchObject({ readQueueNums: 4, writeQueueNums: 4, perm: 6 });
    expect(m.createTopicInSendMessageMethod('Other', 'TBW102', 100, 0)!.writeQueueNums).toBe(8);
    expect(m.createTopicInSendMessageMethod('Nope', 'NoTemplate', 4, 0)).toBeUndefined();
    expect(m.createTopicInSendMessageMethod('Nope', 'SELF_TEST_TOPIC', 4, 0)).toBeUndefined();
    await m.flush();
    expect(m.dataVersion.counter).toBeGreaterThan(before);
    expect(registrations).toBeGreaterThan(0);
  });

  it('falls back to topics.json.bak when topics.json is damaged, and tolerates fastjson text', async () => {
    const m = make();
    await m.load();
    await m.upsert({ ...m.get('TBW102')!, topicName: 'Kept', perm: 6 });
    await m.upsert({ ...m.get('TBW102')!, topicName: 'Kept2', perm: 6 });
    await writeFile(join(dir, 'topics.json'), '{not json');
    const again = make();
    await again.load();
    expect(again.get('Kept')).toBeDefined();
    const text = await readFile(join(dir, 'topics.json'), 'utf8');
    expect(decodeTopicsJson(text).topicConfigTable.Kept).toBeDefined();
    const bak = await readFile(join(dir, 'topics.json.bak'), 'utf8');
    expect(decodeTopicsJson(bak).topicConfigTable.Kept).toBeDefined();
    const tolerant = decodeTopicsJson("{topicConfigTable:{'A':{readQueueNums:'2',perm:6}}}");
    expect(tolerant.topicConfigTable.A).toMatchObject({ readQueueNums: 2, writeQueueNums: 16, perm: 6 });
  });
});

describe('REGISTER_BROKER body', () => {
  it('is what the NameServer decodes, with a non-negative CRC', () => {
    const body = encodeRegisterBrokerBody({
      dataVersion: { counter: 3, timestamp: 5, stateVersion: 0 },
      topicConfigTable: {
        T: {
          topicName: 'T',
          readQueueNums: 2,
          writeQueueNums: 3,
          perm: 6,
          topicFilterType: 'SINGLE_TAG',
          topicSysFlag: 0,
          order: false,
          attributes: {},
        },
      },
    });
    const decoded = decodeRegisterBrokerBody(body, false);
    expect(decoded.topicConfigWrapper.dataVersion.counter).toBe(3);
    expect(decoded.topicConfigWrapper.topicConfigTable.get('T')).toMatchObject({ readQueueNums: 2, writeQueueNums: 3 });
    expect(registerBodyCrc32(body)).toBeGreaterThanOrEqual(0);
    expect(splitNamesrvAddr(' a:1; ;b:2;')).toEqual(['a:1', 'b:2']);
  });
});
