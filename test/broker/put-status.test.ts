import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerController } from '../../src/broker/broker.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { FileStore } from '../../src/store/file-store.js';
import type { PutMessageStatus, PutResult } from '../../src/store/message-store.js';
import { RemotingClient } from '../../src/transport/client.js';
import { sendRequest, testBrokerConfig } from './broker-harness.js';

/** A FileStore whose puts report `status` (after really appending for FLUSH_DISK_TIMEOUT). */
class StatusStore extends FileStore {
  status: PutMessageStatus = 'PUT_OK';
  override async putMessage(...args: Parameters<FileStore['putMessage']>): Promise<PutResult> {
    const result = await super.putMessage(...args);
    if (this.status === 'PUT_OK') return result;
    // msgId may be a getter on the store's result object: copy it explicitly
    if (this.status === 'FLUSH_DISK_TIMEOUT') return { ...result, msgId: result.msgId, status: this.status };
    return { ...result, status: this.status, remark: 'injected', msgId: '', queueOffset: -1 };
  }
}

describe('PutResult → send response', () => {
  let dir: string;
  let broker: BrokerController | undefined;
  let client: RemotingClient | undefined;
  afterEach(async () => {
    await client?.close();
    await broker?.shutdown();
    broker = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('maps store outcomes to RocketMQ codes; FLUSH_DISK_TIMEOUT keeps msgId and offset', async () => {
    dir = await mkdtemp(join(tmpdir(), 'broker-status-'));
    let store: StatusStore | undefined;
    const config = testBrokerConfig(dir, { flushDiskType: 'SYNC_FLUSH' });
    broker = new BrokerController({
      config,
      closeGraceMs: 100,
      store: (host) => {
        store = new StatusStore({ config: { ...config, brokerIP1: host.host, listenPort: host.port } });
        return store;
      },
    });
    const { port } = await broker.start();
    client = new RemotingClient();
    const send = () => client!.invoke(`127.0.0.1:${port}`, sendRequest('StatusTopic', 'x'), 5000);

    expect((await send()).code).toBe(ResponseCode.SUCCESS);
    store!.status = 'FLUSH_DISK_TIMEOUT';
    const timeout = await send();
    expect(timeout.code).toBe(ResponseCode.FLUSH_DISK_TIMEOUT);
    expect(timeout.extFields?.queueOffset).toBe('1');
    expect(timeout.extFields?.msgId).toMatch(/^[0-9A-F]{32}$/);
    const cases: Array<[PutMessageStatus, number]> = [
      ['SERVICE_NOT_AVAILABLE', ResponseCode.SERVICE_NOT_AVAILABLE],
      ['CREATE_MAPPED_FILE_FAILED', ResponseCode.SYSTEM_ERROR],
      ['MESSAGE_ILLEGAL', ResponseCode.MESSAGE_ILLEGAL],
      ['PROPERTIES_SIZE_EXCEEDED', ResponseCode.MESSAGE_ILLEGAL],
      ['OS_PAGE_CACHE_BUSY', ResponseCode.SYSTEM_BUSY],
      ['UNKNOWN_ERROR', ResponseCode.SYSTEM_ERROR],
    ];
    for (const [status, code] of cases) {
      store!.status = status;
      const res = await send();
      expect(res.code, status).toBe(code);
      expect(res.remark).toBeTruthy();
    }
  });

  it('shutdown drains sends being handled: each gets its answer before the store closes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'broker-drain-'));
    const config = testBrokerConfig(dir);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = 0;
    class GatedStore extends FileStore {
      override async putMessage(...args: Parameters<FileStore['putMessage']>): Promise<PutResult> {
        entered++;
        await gate;
        return super.putMessage(...args);
      }
    }
    broker = new BrokerController({
      config,
      closeGraceMs: 5000,
      store: (host) => new GatedStore({ config: { ...config, brokerIP1: host.host, listenPort: host.port } }),
    });
    const { port } = await broker.start();
    client = new RemotingClient();
    const inFlight = Array.from({ length: 5 }, (_, i) =>
      client!.invoke(`127.0.0.1:${port}`, sendRequest('DrainTopic', `m${i}`), 10_000),
    );
    await expect.poll(() => entered, { timeout: 5000 }).toBe(5);
    const closing = broker.shutdown();
    setTimeout(release, 100);
    const answers = await Promise.all(inFlight);
    await closing;
    expect(answers.map((a) => a.code)).toEqual([0, 0, 0, 0, 0]);
    broker = undefined;
  });
});
