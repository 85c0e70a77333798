import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  computeStartOffset,
  LocalFileOffsetStore,
  parseOffsetFile,
  RemoteBrokerOffsetStore,
} from '../../../src/client/offset-store.js';
import type { BrokerInvoker } from '../../../src/client/pull-api.js';
import { createResponse, type RemotingCommand } from '../../../src/protocol/command.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';

const mq = { topic: 'T', brokerName: 'broker-a', queueId: 1 };

describe('LocalFileOffsetStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-offsets-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('persists offsets in Java’s shape and loads them back', async () => {
    const store = new LocalFileOffsetStore(dir, '10.0.0.1@1', 'g');
    store.update(mq, 42, false);
    store.update(mq, 40, true); // increase-only: ignored
    await store.persistAll();
    const text = await readFile(store.path, 'utf8');
    expect(text).toBe('{"offsetTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:42}}');
    const again = new LocalFileOffsetStore(dir, '10.0.0.1@1', 'g');
    await again.load();
    expect(await again.read(mq, 'MEMORY')).toBe(42);
    expect(await again.read({ ...mq, queueId: 2 }, 'MEMORY_FIRST_THEN_STORE')).toBe(-1);
  });

  it('falls back to the .bak file when the file is corrupt', async () => {
    const store = new LocalFileOffsetStore(dir, 'c', 'g');
    store.update(mq, 7, false);
    await store.persistAll();
    store.update(mq, 9, false);
    await store.persistAll(); // 7 is now in .bak
    await writeFile(store.path, '{"offsetTable":{{"brok');
    expect(await store.read(mq, 'STORE')).toBe(7);
  });

  it('parses quoted-key files too and starts empty without a file', async () => {
    expect(
      parseOffsetFile('{"offsetTable":{"{\\"brokerName\\":\\"b\\",\\"queueId\\":3,\\"topic\\":\\"X\\"}":5}}'),
    ).toEqual([{ mq: { topic: 'X', brokerName: 'b', queueId: 3 }, offset: 5 }]);
    const store = new LocalFileOffsetStore(dir, 'none', 'g');
    await store.load();
    expect(store.entries()).toEqual([]);
  });
});

/** A broker double answering offset requests from a table. */
function fakeBroker(stored: Map<number, number>, calls: RemotingCommand[]): BrokerInvoker {
  const answer = (request: RemotingCommand): RemotingCommand => {
    calls.push(request);
    const queueId = Number(request.extFields?.queueId);
    if (request.code === RequestCode.QUERY_CONSUMER_OFFSET) {
      const offset = stored.get(queueId);
      if (offset === undefined) return createResponse(request, ResponseCode.QUERY_NOT_FOUND, { remark: 'not found' });
      return createResponse(request, ResponseCode.SUCCESS, { extFields: { offset: String(offset) } });
    }
    if (request.code === RequestCode.GET_MAX_OFFSET) {
      return createResponse(request, ResponseCode.SUCCESS, { extFields: { offset: '500' } });
    }
    if (request.code === RequestCode.SEARCH_OFFSET_BY_TIMESTAMP) {
      return createResponse(request, ResponseCode.SUCCESS, {
        extFields: { offset: `ts${request.extFields?.timestamp}` === 'ts42' ? '7' : '-9' },
      });
    }
    if (request.code === RequestCode.UPDATE_CONSUMER_OFFSET) {
      stored.set(queueId, Number(request.extFields?.commitOffset));
      return createResponse(request, ResponseCode.SUCCESS);
    }
    return createResponse(request, ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
  };
  return {
    invokeBroker: async (_addr, request) => answer(request),
    invokeBrokerOneway: async (_addr, request) => {
      answer(request);
    },
  };
}

describe('RemoteBrokerOffsetStore', () => {
  it('reads from the broker, -1 on QUERY_NOT_FOUND, and persists one-way with the piggy-backed fields', async () => {
    const stored = new Map([[1, 100]]);
    const calls: RemotingCommand[] = [];
    const store = new RemoteBrokerOffsetStore(
      { client: fakeBroker(stored, calls), brokerAddress: async () => '127.0.0.1:10911' },
      'g',
    );
    expect(await store.read(mq, 'MEMORY_FIRST_THEN_STORE')).toBe(100);
    expect(await store.read({ ...mq, queueId: 2 }, 'STORE')).toBe(-1);
    store.update(mq, 120, true);
    await store.persistAll();
    expect(stored.get(1)).toBe(120);
    const update = calls.find((c) => c.code === RequestCode.UPDATE_CONSUMER_OFFSET)!;
    expect(update.extFields).toMatchObject({ consumerGroup: 'g', topic: 'T', queueId: '1', commitOffset: '120' });
    expect(update.flag & 2).toBe(2);
  });

  it('reports an unknown broker to onError instead of throwing from persistAll', async () => {
    const errors: unknown[] = [];
    const store = new RemoteBrokerOffsetStore(
      { client: fakeBroker(new Map(), []), brokerAddress: async () => undefined, onError: (e) => errors.push(e) },
      'g',
    );
    store.update(mq, 1, false);
    await store.persistAll();
    expect(errors).toHaveLength(1);
    await expect(store.persist(mq)).rejects.toMatchObject({ code: 'SERVICE_NOT_AVAILABLE' });
  });
});

describe('computeStartOffset (consumeFromWhere when the broker has no offset)', () => {
  const stored = new Map([[1, 100]]);
  const invoker = fakeBroker(stored, []);
  const client = {
    ...invoker,
    findBrokerAddress: () => '127.0.0.1:10911',
    refreshAllRoutes: async () => {},
  };
  const store = new RemoteBrokerOffsetStore({ client: invoker, brokerAddress: async () => 'x' }, 'g');
  const fresh = { topic: 'T', brokerName: 'broker-a', queueId: 2 };
  const retry = { topic: '%RETRY%g', brokerName: 'broker-a', queueId: 2 };

  it('uses the committed offset when there is one', async () => {
    expect(await computeStartOffset(client, store, mq, 'STORE', 'CONSUME_FROM_FIRST_OFFSET', 0)).toBe(100);
  });

  it('LAST → GET_MAX_OFFSET (0 for retry topics), FIRST → 0, TIMESTAMP → SEARCH_OFFSET_BY_TIMESTAMP', async () => {
    expect(await computeStartOffset(client, store, fresh, 'STORE', 'CONSUME_FROM_LAST_OFFSET', 0)).toBe(500);
    expect(await computeStartOffset(client, store, retry, 'STORE', 'CONSUME_FROM_LAST_OFFSET', 0)).toBe(0);
    expect(await computeStartOffset(client, store, fresh, 'STORE', 'CONSUME_FROM_FIRST_OFFSET', 0)).toBe(0);
    expect(await computeStartOffset(client, store, fresh, 'STORE', 'CONSUME_FROM_TIMESTAMP', 42)).toBe(7);
    expect(await computeStartOffset(client, store, retry, 'STORE', 'CONSUME_FROM_TIMESTAMP', 42)).toBe(500);
  });
});

describe('the in-memory offset table, looked up by queue object', () => {
  const noBroker = { client: {} as BrokerInvoker, brokerAddress: async () => undefined };

  it('a removed queue starts afresh, even through the same object', async () => {
    const store = new RemoteBrokerOffsetStore(noBroker, 'g');
    const q = { ...mq };
    store.update(q, 10, false);
    store.update(q, 12, true);
    expect(await store.read(q, 'MEMORY')).toBe(12);
    store.remove({ ...mq });
    expect(await store.read(q, 'MEMORY')).toBe(-1);
    store.update(q, 5, true);
    expect(await store.read(q, 'MEMORY')).toBe(5);
    expect(store.entries()).toEqual([{ mq, offset: 5 }]);
  });

  it('an object whose fields changed is looked up by its new fields, and equal objects share an entry', async () => {
    const store = new RemoteBrokerOffsetStore(noBroker, 'g');
    const q = { ...mq };
    store.update(q, 10, false);
    q.queueId = 2;
    store.update(q, 3, true);
    expect(await store.read({ ...mq }, 'MEMORY')).toBe(10);
    expect(await store.read({ ...mq, queueId: 2 }, 'MEMORY')).toBe(3);
    store.update({ ...mq }, 11, true);
    expect(await store.read({ ...mq }, 'MEMORY')).toBe(11);
    expect(store.entries()).toHaveLength(2);
  });
});
