import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/protocol/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { registerBrokerRequest, startTestNamesrv, type TestNamesrv } from './helpers.js';

/** Opens a raw socket, writes `bytes`, and resolves once the server closes it. */
function sendRaw(addr: string, bytes: Buffer): Promise<{ closed: boolean; received: number }> {
  const [host, port] = addr.split(':');
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: host!, port: Number(port) }, () => socket.write(bytes));
    let received = 0;
    socket.on('data', (chunk) => {
      received += chunk.length;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve({ closed: true, received }));
    setTimeout(() => {
      socket.destroy();
      reject(new Error('server kept a connection open after bad input'));
    }, 5000).unref();
  });
}

describe('NameServer robustness', () => {
  let ns: TestNamesrv;
  beforeEach(async () => {
    ns = await startTestNamesrv();
    await ns.invoke(registerBrokerRequest());
  });
  afterEach(async () => {
    await ns.close();
  });

  const route = () =>
    ns.invoke(createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic: 'TopicTest' } }));

  it('closes only the connection that sends garbage', async () => {
    // length 12, header meta: serialize type 0 (JSON), header length 8, then 8 bytes that are not JSON
    const garbage = Buffer.from('0000000c' + '00000008' + '6e6f74206a736f6e', 'hex');
    const outcome = await sendRaw(ns.addr, garbage);
    expect(outcome.closed).toBe(true);
    expect((await route()).code).toBe(ResponseCode.SUCCESS);
  });

  it('closes only the connection that announces an oversized frame', async () => {
    // length 0x01000001 = 16 MiB + 1, above the 16 MiB limit
    const oversized = Buffer.from('01000001' + '00000002' + '7b7d', 'hex');
    const outcome = await sendRaw(ns.addr, oversized);
    expect(outcome).toEqual({ closed: true, received: 0 });
    expect((await route()).code).toBe(ResponseCode.SUCCESS);
  });

  it('closes only the connection that sends an unknown serialize type', async () => {
    // length 6, header meta: serialize type 9, header length 2, "{}"
    const outcome = await sendRaw(ns.addr, Buffer.from('00000006' + '09000002' + '7b7d', 'hex'));
    expect(outcome.closed).toBe(true);
    expect((await route()).code).toBe(ResponseCode.SUCCESS);
  });
});
