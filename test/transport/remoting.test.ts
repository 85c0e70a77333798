import { afterEach, describe, expect, it } from 'vitest';
import { RocketMQError } from '../../src/common/errors.js';
import {
  createRequest,
  createResponse,
  isOneway,
  type RemotingCommand,
  SerializeType,
} from '../../src/protocol/command.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { RemotingClient, type RemotingConnection, RemotingServer } from '../../src/transport/index.js';

const ECHO = 100;
const NEVER_ANSWERS = 101;
const NOTIFY_CONSUMER_IDS_CHANGED = 40;

let servers: RemotingServer[] = [];
let clients: RemotingClient[] = [];

async function startServer(options: ConstructorParameters<typeof RemotingServer>[0] = {}) {
  const server = new RemotingServer({ host: '127.0.0.1', port: 0, ...options });
  servers.push(server);
  const { port } = await server.listen();
  return { server, addr: `127.0.0.1:${port}` };
}

function newClient(options: ConstructorParameters<typeof RemotingClient>[0] = {}): RemotingClient {
  const client = new RemotingClient(options);
  clients.push(client);
  return client;
}

function echo(request: RemotingCommand): RemotingCommand {
  return createResponse(request, ResponseCode.SUCCESS, { extFields: request.extFields, body: request.body });
}

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close(100)));
  clients = [];
  servers = [];
});

describe('RemotingServer + RemotingClient on real sockets', () => {
  it('correlates 10,000 concurrent requests answered out of order', async () => {
    const { server, addr } = await startServer({ maxInflightPerConnection: 20_000 });
    server.registerHandler(ECHO, async (request) => {
      const n = Number(request.extFields?.n);
      if (n % 3 === 0) await new Promise((resolve) => setTimeout(resolve, n % 7));
      return echo(request);
    });
    const client = newClient();
    const count = 10_000;
    const responses = await Promise.all(
      Array.from({ length: count }, (_, n) =>
        client.invoke(
          addr,
          createRequest(ECHO, { extFields: { n: String(n) }, body: Buffer.from(`body-${n}`) }),
          20_000,
        ),
      ),
    );
    for (let n = 0; n < count; n++) {
      const response = responses[n]!;
      expect(response.code).toBe(ResponseCode.SUCCESS);
      expect(response.extFields?.n).toBe(String(n));
      expect(response.body?.toString()).toBe(`body-${n}`);
    }
  });

  it('carries big bodies (written after their frame head, uncopied) interleaved with small ones, both ways', async () => {
    const { server, addr } = await startServer();
    server.registerHandler(ECHO, echo);
    const client = newClient({ requestSerializeType: SerializeType.ROCKETMQ });
    const bodies = [16 * 1024, 10, 16 * 1024 - 1, 300_000, 0, 70_000].map((size, n) =>
      Buffer.alloc(size, n + 1).fill(n + 7, 0, Math.min(size, 5)),
    );
    const responses = await Promise.all(
      bodies.map((body, n) => client.invoke(addr, createRequest(ECHO, { extFields: { n: String(n) }, body }), 5000)),
    );
    responses.forEach((response, n) => {
      expect(response.extFields?.n).toBe(String(n));
      expect(response.body ?? Buffer.alloc(0)).toEqual(bodies[n]);
    });
  });

  it('rejects with REQUEST_TIMEOUT when no response comes in time, and the connection serves on', async () => {
    const { server, addr } = await startServer();
    server.registerHandler(NEVER_ANSWERS, () => undefined);
    server.registerHandler(ECHO, echo);
    const client = newClient();
    const err = await client.invoke(addr, createRequest(NEVER_ANSWERS), 150).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RocketMQError);
    expect((err as RocketMQError).code).toBe('REQUEST_TIMEOUT');
    const response = await client.invoke(addr, createRequest(ECHO, { extFields: { after: 'timeout' } }), 2000);
    expect(response.extFields?.after).toBe('timeout');
  });

  it('a handler may answer later through ctx.reply', async () => {
    const { server, addr } = await startServer();
    server.registerHandler(ECHO, (request, ctx) => {
      setTimeout(() => ctx.reply(createResponse(request, ResponseCode.SUCCESS, { remark: 'held then answered' })), 50);
      return undefined;
    });
    const client = newClient();
    const response = await client.invoke(addr, createRequest(ECHO), 2000);
    expect(response.remark).toBe('held then answered');
  });

  it('delivers one-way requests and never answers them', async () => {
    const { server, addr } = await startServer();
    const received: RemotingCommand[] = [];
    server.registerHandler(ECHO, (request) => {
      received.push(request);
      return echo(request);
    });
    const client = newClient();
    await client.invokeOneway(addr, createRequest(ECHO, { extFields: { kind: 'oneway' } }));
    // A two-way request after it: its response must be the only one that comes back.
    const response = await client.invoke(addr, createRequest(ECHO, { extFields: { kind: 'twoway' } }), 2000);
    expect(response.extFields?.kind).toBe('twoway');
    expect(received.map((r) => [r.extFields?.kind, isOneway(r)])).toEqual([
      ['oneway', true],
      ['twoway', false],
    ]);
    const conn = (await client.connection(addr)) as RemotingConnection;
    expect(conn.pendingRequests).toBe(0);
  });

  it('the server calls the client back over the client connection, two-way and one-way', async () => {
    const { server, addr } = await startServer();
    server.registerHandler(ECHO, echo);
    const opened = new Promise<RemotingConnection>((resolve) => server.onConnectionOpen(resolve));
    const client = newClient();
    const notified: string[] = [];
    client.registerHandler(NOTIFY_CONSUMER_IDS_CHANGED, (request) => {
      notified.push(request.extFields?.consumerGroup ?? '');
      return createResponse(request, ResponseCode.SUCCESS, { remark: 'client got it' });
    });
    await client.invoke(addr, createRequest(ECHO), 2000);
    const conn = await opened;
    const answer = await server.invoke(
      conn,
      createRequest(NOTIFY_CONSUMER_IDS_CHANGED, { extFields: { consumerGroup: 'g1' } }),
      2000,
    );
    expect(answer.code).toBe(ResponseCode.SUCCESS);
    expect(answer.remark).toBe('client got it');
    await server.invokeOneway(conn, createRequest(NOTIFY_CONSUMER_IDS_CHANGED, { extFields: { consumerGroup: 'g2' } }));
    await expect.poll(() => notified).toEqual(['g1', 'g2']);
    // An unknown code sent to the client is answered 3 as well.
    const unknown = await server.invoke(conn, createRequest(4242), 2000);
    expect(unknown.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
  });

  it('answers an unknown request code with REQUEST_CODE_NOT_SUPPORTED and the Java remark', async () => {
    const { addr } = await startServer();
    const client = newClient();
    const response = await client.invoke(addr, createRequest(9999), 2000);
    expect(response.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(response.remark).toBe(' request type 9999 not supported');
  });

  it('falls back to the default handler for codes without their own', async () => {
    const { server, addr } = await startServer();
    server.setDefaultHandler((request) =>
      createResponse(request, ResponseCode.SUCCESS, { remark: `default handled ${request.code}` }),
    );
    const client = newClient();
    const response = await client.invoke(addr, createRequest(777), 2000);
    expect(response.remark).toBe('default handled 777');
  });

  it('answers SYSTEM_ERROR for a throwing handler, and a RocketMQError with its own response code', async () => {
    const { server, addr } = await startServer();
    server.registerHandler(1, () => {
      throw new TypeError('boom');
    });
    server.registerHandler(2, async () => {
      throw new Error('async boom');
    });
    server.registerHandler(3, () => {
      throw new RocketMQError('TOPIC_NOT_EXIST', 'topic[T] not exist, apply first please!');
    });
    const client = newClient();
    const sync = await client.invoke(addr, createRequest(1), 2000);
    expect(sync.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(sync.remark).toBe('TypeError: boom');
    const async = await client.invoke(addr, createRequest(2), 2000);
    expect(async.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(async.remark).toBe('Error: async boom');
    const typed = await client.invoke(addr, createRequest(3), 2000);
    expect(typed.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(typed.remark).toBe('topic[T] not exist, apply first please!');
  });

  it('replies with the serialize type of the request (binary stays binary)', async () => {
    const { server, addr } = await startServer();
    server.registerHandler(ECHO, echo);
    const client = newClient();
    const binary = await client.invoke(addr, createRequest(ECHO, { serializeType: 1, extFields: { a: 'b' } }), 2000);
    expect(binary.serializeType).toBe(1);
    expect(binary.extFields?.a).toBe('b');
    const json = await client.invoke(addr, createRequest(ECHO), 2000);
    expect(json.serializeType).toBe(0);
  });

  it('requestSerializeType encodes every request, two-way and one-way, in that type; the server answers in kind', async () => {
    const { server, addr } = await startServer();
    const seen: Array<[string | undefined, number]> = [];
    server.registerHandler(ECHO, (request) => {
      seen.push([request.extFields?.kind, request.serializeType]);
      return echo(request);
    });
    const client = newClient({ requestSerializeType: SerializeType.ROCKETMQ });
    await client.invokeOneway(addr, createRequest(ECHO, { extFields: { kind: 'oneway' } }));
    const response = await client.invoke(addr, createRequest(ECHO, { extFields: { kind: 'twoway' } }), 2000);
    expect(response.serializeType).toBe(SerializeType.ROCKETMQ);
    expect(response.extFields?.kind).toBe('twoway');
    expect(seen).toEqual([
      ['oneway', SerializeType.ROCKETMQ],
      ['twoway', SerializeType.ROCKETMQ],
    ]);
  });

  it('answers SYSTEM_BUSY with the [OVERLOAD] remark beyond the in-flight cap', async () => {
    const { server, addr } = await startServer({ maxInflightPerConnection: 2 });
    const held: Array<() => void> = [];
    server.registerHandler(ECHO, async (request) => {
      await new Promise<void>((resolve) => held.push(resolve));
      return echo(request);
    });
    const client = newClient();
    const first = client.invoke(addr, createRequest(ECHO), 5000);
    const second = client.invoke(addr, createRequest(ECHO), 5000);
    const third = await client.invoke(addr, createRequest(ECHO), 5000);
    expect(third.code).toBe(ResponseCode.SYSTEM_BUSY);
    expect(third.remark).toBe('[OVERLOAD]system busy, start flow control for a while');
    expect(held).toHaveLength(2);
    for (const release of held) release();
    expect((await first).code).toBe(ResponseCode.SUCCESS);
    expect((await second).code).toBe(ResponseCode.SUCCESS);
    // Slots are free again.
    const fourth = client.invoke(addr, createRequest(ECHO), 5000);
    await expect.poll(() => held.length).toBe(3);
    held[2]!();
    expect((await fourth).code).toBe(ResponseCode.SUCCESS);
  });

  it('answers with a copy when a handler returns a shared response object, leaving it unchanged', async () => {
    const { server, addr } = await startServer();
    const cached = createResponse(createRequest(ECHO), ResponseCode.SUCCESS, { body: Buffer.from('cached route') });
    const cachedOpaque = cached.opaque;
    server.registerHandler(ECHO, () => cached);
    const client = newClient();
    const requests = [createRequest(ECHO), createRequest(ECHO)];
    const responses = await Promise.all(requests.map((r) => client.invoke(addr, r, 2000)));
    expect(responses.map((r) => r.opaque)).toEqual(requests.map((r) => r.opaque));
    expect(responses.map((r) => r.body?.toString())).toEqual(['cached route', 'cached route']);
    expect(cached.opaque).toBe(cachedOpaque);
  });

  it('closeConnection drops the pooled connection and the next call opens a new one', async () => {
    const { server, addr } = await startServer();
    server.registerHandler(ECHO, echo);
    let accepted = 0;
    server.onConnectionOpen(() => accepted++);
    const client = newClient();
    await client.invoke(addr, createRequest(ECHO), 2000);
    const first = await client.connection(addr);
    client.closeConnection(addr);
    await first.whenClosed;
    await client.invoke(addr, createRequest(ECHO), 2000);
    expect(accepted).toBe(2);
  });
});
