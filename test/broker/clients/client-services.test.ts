import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveBrokerConfig } from '../../../src/broker/broker-config.js';
import { type ClientServices, createClientServices } from '../../../src/broker/client-services.js';
import { silentLogger } from '../../../src/common/logger.js';
import type { MessageStore } from '../../../src/store/message-store.js';
import { RemotingServer } from '../../../src/transport/server.js';
import { FakeTopics } from './harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'client-services-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function services(flushConsumerOffsetInterval: number): ClientServices {
  return createClientServices({
    config: resolveBrokerConfig({ flushConsumerOffsetInterval }),
    logger: silentLogger,
    // the services only touch the store from request handlers, which these tests do not call
    store: {} as MessageStore,
    server: new RemotingServer(),
    topics: new FakeTopics(),
    registerBrokerAll: async () => {},
    now: () => 0,
    configDir: join(dir, 'config'),
  });
}

describe('createClientServices', () => {
  it('persists offsets every flushConsumerOffsetInterval and reloads offsets and groups after a restart', async () => {
    const first = services(100);
    await first.start();
    first.consumerOffsets.commit('h', 'cg', 'T', 3, 42);
    await first.subscriptionGroups.getOrCreate('cg');
    const path = join(dir, 'config', 'consumerOffset.json');
    const deadline = Date.now() + 5000;
    let text = '';
    while (Date.now() < deadline) {
      text = await readFile(path, 'utf8').catch(() => '');
      if (text !== '') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(text).toBe('{"offsetTable":{"T@cg":{3:42}}}');
    first.consumerOffsets.commit('h', 'cg', 'T', 3, 43);
    await first.shutdown();
    await first.shutdown(); // idempotent

    const second = services(5000);
    await second.start();
    expect(second.consumerOffsets.query('cg', 'T', 3)).toBe(43);
    expect(second.subscriptionGroups.get('cg')?.groupName).toBe('cg');
    await second.shutdown();
  });

  it('serves every client-management request code', () => {
    const s = services(5000);
    expect([...s.handlers.keys()].sort((a, b) => a - b)).toEqual([
      14, 15, 29, 30, 31, 32, 34, 35, 38, 200, 201, 203, 204, 207, 208,
    ]);
  });
});
