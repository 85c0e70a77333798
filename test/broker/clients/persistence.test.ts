import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsumerOffsetManager } from '../../../src/broker/consumer-offset-manager.js';
import {
  defaultSubscriptionGroupConfig,
  SubscriptionGroupManager,
  subscriptionGroupConfigFromJson,
} from '../../../src/broker/subscription-group-manager.js';
import { silentLogger } from '../../../src/common/logger.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'broker-clients-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ConsumerOffsetManager', () => {
  it('writes consumerOffset.json in fastjson form and reads it back', async () => {
    const path = join(dir, 'config', 'consumerOffset.json');
    const offsets = new ConsumerOffsetManager(path, silentLogger);
    offsets.commit('1.2.3.4:5', 'cg1', 'TopicTest', 0, 12);
    offsets.commit('1.2.3.4:5', 'cg1', 'TopicTest', 1, 15);
    offsets.commit('1.2.3.4:5', 'cg1', '%RETRY%cg1', 0, 0);
    await offsets.persist();
    // the exact text: unquoted integer queue ids, keys sorted
    expect(await readFile(path, 'utf8')).toBe('{"offsetTable":{"%RETRY%cg1@cg1":{0:0},"TopicTest@cg1":{0:12,1:15}}}');

    const reloaded = new ConsumerOffsetManager(path, silentLogger);
    await reloaded.load();
    expect(reloaded.query('cg1', 'TopicTest', 0)).toBe(12);
    expect(reloaded.query('cg1', 'TopicTest', 1)).toBe(15);
    expect(reloaded.query('cg1', '%RETRY%cg1', 0)).toBe(0);
    expect(reloaded.query('cg1', 'TopicTest', 2)).toBe(-1);
    expect(reloaded.query('other', 'TopicTest', 0)).toBe(-1);
    expect(reloaded.topicsOf('cg1').sort()).toEqual(['%RETRY%cg1', 'TopicTest']);
  });

  it('ignores negative commits (ali-ons sends -1 for 0)', () => {
    const offsets = new ConsumerOffsetManager(join(dir, 'o.json'), silentLogger);
    offsets.commit('h', 'cg', 'T', 0, -1);
    expect(offsets.query('cg', 'T', 0)).toBe(-1);
    offsets.commit('h', 'cg', 'T', 0, 7);
    offsets.commit('h', 'cg', 'T', 0, -1);
    expect(offsets.query('cg', 'T', 0)).toBe(7);
  });

  it('keeps the previous file as .bak and falls back to it when the file is corrupt', async () => {
    const path = join(dir, 'consumerOffset.json');
    const offsets = new ConsumerOffsetManager(path, silentLogger);
    offsets.commit('h', 'cg', 'T', 0, 1);
    await offsets.persist();
    offsets.commit('h', 'cg', 'T', 0, 2);
    await offsets.persist();
    expect(await readFile(`${path}.bak`, 'utf8')).toContain('{0:1}');
    await writeFile(path, '{"offsetTable":{"T@cg":{0:', 'utf8');
    const reloaded = new ConsumerOffsetManager(path, silentLogger);
    await reloaded.load();
    expect(reloaded.query('cg', 'T', 0)).toBe(1);
  });

  it('reads files written by Java (quoted keys, dataVersion, stray fields) and removes groups and topics', async () => {
    const path = join(dir, 'consumerOffset.json');
    await writeFile(
      path,
      '{"dataVersion":{"counter":3,"timestamp":1},"offsetTable":{"A@g1":{"0":5,1:6},"B@g1":{0:1},"A@g2":{0:9},"bad":{0:1}}}',
    );
    const offsets = new ConsumerOffsetManager(path, silentLogger);
    await offsets.load();
    expect(offsets.offsetsOf('g1', 'A')).toEqual(
      new Map([
        [0, 5],
        [1, 6],
      ]),
    );
    expect(offsets.removeGroup('g1')).toBe(2);
    expect(offsets.query('g1', 'A', 0)).toBe(-1);
    offsets.removeTopic('A');
    expect(offsets.query('g2', 'A', 0)).toBe(-1);
  });

  it('fails with CONFIG_INVALID when neither the file nor the backup parses', async () => {
    const path = join(dir, 'consumerOffset.json');
    await writeFile(path, 'not json{', 'utf8');
    await expect(new ConsumerOffsetManager(path, silentLogger).load()).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});

describe('SubscriptionGroupManager', () => {
  it('auto-creates groups with defaults only when enabled, persists and reloads them', async () => {
    const path = join(dir, 'subscriptionGroup.json');
    let auto = false;
    const groups = new SubscriptionGroupManager(
      path,
      silentLogger,
      () => auto,
      () => 1_700_000_000_000,
    );
    expect(await groups.getOrCreate('cg')).toBeUndefined();
    auto = true;
    expect(await groups.getOrCreate('cg')).toEqual(defaultSubscriptionGroupConfig('cg'));
    await groups.upsert({
      ...defaultSubscriptionGroupConfig('orderly'),
      consumeMessageOrderly: true,
      retryMaxTimes: 3,
    });
    const saved = JSON.parse(await readFile(path, 'utf8'));
    expect(saved.dataVersion.counter).toBe(2);
    expect(saved.subscriptionGroupTable.orderly.retryMaxTimes).toBe(3);

    const reloaded = new SubscriptionGroupManager(
      path,
      silentLogger,
      () => false,
      () => 0,
    );
    await reloaded.load();
    expect(reloaded.get('orderly')?.consumeMessageOrderly).toBe(true);
    expect(reloaded.get('cg')?.retryQueueNums).toBe(1);
    expect(await reloaded.delete('cg')).toBe(true);
    expect(await reloaded.delete('cg')).toBe(false);
    expect(reloaded.all().map((g) => g.groupName)).toEqual(['orderly']);
  });

  it('reads configs leniently: defaults for missing fields, strings for booleans and numbers', () => {
    expect(subscriptionGroupConfigFromJson({ groupName: '' })).toBeUndefined();
    expect(subscriptionGroupConfigFromJson([])).toBeUndefined();
    expect(
      subscriptionGroupConfigFromJson({ groupName: 'g', consumeEnable: 'false', retryQueueNums: '2', bogus: 1 }),
    ).toEqual({ ...defaultSubscriptionGroupConfig('g'), consumeEnable: false, retryQueueNums: 2 });
  });
});
