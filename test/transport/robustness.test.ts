import { connect, createServer, Socket } from 'node:net';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RocketMQError } from '../../src/common/errors.js';
import { createRequest, createResponse, type RemotingCommand } from '../../src/protocol/command.js';
import { decodeCommand, encodeCommand, FrameSplitter } from '../../src/protocol/frame.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { RemotingClient, type RemotingConnection, RemotingServer } from '../../src/transport/index.js';

const ECHO = 100;

let servers: RemotingServer[] = [];
let clients: RemotingClient[] = [];
let sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close(100)));
  clients = [];
  servers = [];
  sockets = [];
});

/** A pino logger whose records land in `records`. */
function capturingLogger() {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line)) });
  return { logger, records };
}

function echo(request: RemotingCommand): RemotingCommand {
  return createResponse(request, ResponseCode.SUCCESS, { extFields: request.extFields });
}

async function startServer(options: ConstructorParameters<typeof RemotingServer>[0] = {}) {
  const server = new RemotingServer({ host: '127.0.0.1', port: 0, ...options });
  servers.push(server);
  server.registerHandler(ECHO, echo);
  const { port } = await server.listen();
  return { server, port, addr: `127.0.0.1:${port}` };
}

function newClient(options: ConstructorParameters<typeof RemotingClient>[0] = {}): RemotingClient {
  const client = new RemotingClient(options);
  clients.push(client);
  return client;
}

/** A raw TCP peer: writes whatever bytes it is given, collects decoded frames, tells when it is closed. */
async function rawPeer(port: number) {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  const splitter = new FrameSplitter();
  const received: RemotingCommand[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const frame of splitter.push(chunk)) received.push(decodeCommand(frame));
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received, closed, local: `127.0.0.1:${socket.localPort}` };
}

async function expectWellBehavedClientServed(addr: string) {
  const client = newClient();
  const responses = await Promise.all(
    Array.from({ length: 50 }, (_, n) =>
      client.invoke(addr, createRequest(ECHO, { extFields: { n: String(n) } }), 3000),
    ),
  );
  expect(responses.map((r) => r.extFields?.n)).toEqual(Array.from({ length: 50 }, (_, n) => String(n)));
}

describe('transport robustness on real sockets', () => {
  it('closes a peer sending garbage, logs it with its address, and keeps serving everyone else', async () => {
    const { logger, records } = capturingLogger();
    const { server, port, addr } = await startServer({ logger });
    const good = newClient();
    await good.invoke(addr, createRequest(ECHO), 3000);
    const closedOnServer: string[] = [];
    server.onConnectionClose((conn) => closedOnServer.push(conn.remoteAddress));

    const bad = await rawPeer(port);
    // length 8, header meta claims a 0x7fffff-byte JSON header: the frame is complete but undecodable.
    bad.socket.write(Buffer.from('00000008' + '007fffff' + 'deadbeef', 'hex'));
    await bad.closed;

    await expectWellBehavedClientServed(addr);
    expect(closedOnServer).toEqual([bad.local]);
    const warning = records.find((r) => r.level === 40 && r.peer === bad.local);
    expect(warning?.msg).toContain('closing the connection');
  });

  it('closes a peer claiming an oversized frame, and only that one', async () => {
    const { logger, records } = capturingLogger();
    const { server, port, addr } = await startServer({ logger, maxFrameLength: 1024 * 1024 });
    const bystander = await rawPeer(port);
    const bad = await rawPeer(port);
    bad.socket.write(Buffer.from('7fffffff', 'hex'));
    await bad.closed;
    const warning = records.find((r) => r.level === 40 && r.peer === bad.local);
    expect((warning?.err as { code?: string } | undefined)?.code).toBe('FRAME_TOO_LARGE');

    // The raw bystander is still connected and served.
    bystander.socket.write(encodeCommand(createRequest(ECHO, { extFields: { who: 'bystander' } })));
    await expect.poll(() => bystander.received.length).toBe(1);
    expect(bystander.received[0]!.extFields?.who).toBe('bystander');
    expect([...server.connections].map((c) => c.remoteAddress)).toContain(bystander.local);
    await expectWellBehavedClientServed(addr);
  });

  it('a frame length below the header-meta size closes the connection as malformed', async () => {
    const { port, addr } = await startServer();
    const bad = await rawPeer(port);
    bad.socket.write(Buffer.from('00000002abcd', 'hex'));
    await bad.closed;
    await expectWellBehavedClientServed(addr);
  });

  it('closes idle connections after idleTimeoutMs; the client reconnects on next use', async () => {
    const { server, addr } = await startServer({ idleTimeoutMs: 150 });
    const closed = new Promise<RemotingConnection>((resolve) => server.onConnectionClose(resolve));
    const client = newClient();
    const first = await client.connection(addr);
    await client.invoke(addr, createRequest(ECHO), 3000);
    await closed;
    await first.whenClosed;
    expect(first.closed).toBe(true);
    const response = await client.invoke(addr, createRequest(ECHO, { extFields: { again: 'yes' } }), 3000);
    expect(response.extFields?.again).toBe('yes');
    const second = await client.connection(addr);
    expect(second).not.toBe(first);
  });

  it('the client reconnects on next use after the server drops it, failing what was pending', async () => {
    const { server, addr } = await startServer();
    server.registerHandler(101, () => undefined);
    const client = newClient();
    const pending = client.invoke(addr, createRequest(101), 10_000).catch((e: unknown) => e);
    await expect.poll(() => [...server.connections].length).toBe(1);
    for (const conn of server.connections) conn.destroy();
    const err = await pending;
    expect(err).toBeInstanceOf(RocketMQError);
    expect((err as RocketMQError).code).toBe('CONNECTION_CLOSED');
    const response = await client.invoke(addr, createRequest(ECHO, { extFields: { back: 'again' } }), 3000);
    expect(response.extFields?.back).toBe('again');
  });

  it('concurrent first calls to an address share one connection', async () => {
    const { server, addr } = await startServer();
    let accepted = 0;
    server.onConnectionOpen(() => accepted++);
    const client = newClient();
    await Promise.all(Array.from({ length: 20 }, () => client.invoke(addr, createRequest(ECHO), 3000)));
    expect(accepted).toBe(1);
  });

  it('graceful close answers requests already in flight, then refuses new connections', async () => {
    const { server, addr } = await startServer();
    let started = 0;
    server.registerHandler(102, async (request) => {
      started++;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return createResponse(request, ResponseCode.SUCCESS, { remark: 'finished during shutdown' });
    });
    const client = newClient();
    const inFlight = Array.from({ length: 3 }, () => client.invoke(addr, createRequest(102), 5000));
    await expect.poll(() => started).toBe(3);
    const closing = server.close(5000);
    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.remark)).toEqual(Array(3).fill('finished during shutdown'));
    await closing;
    const err = await client.invoke(addr, createRequest(ECHO), 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RocketMQError);
    expect((err as RocketMQError).code).toBe('CONNECT_FAILED');
  });

  it('graceful close gives up on handlers that outlive the grace period', async () => {
    const { server, addr } = await startServer();
    server.registerHandler(103, () => new Promise<undefined>(() => {}));
    const client = newClient();
    const stuck = client.invoke(addr, createRequest(103), 10_000).catch((e: unknown) => e);
    await expect.poll(() => [...server.connections][0]?.inflight.count).toBe(1);
    await server.close(100);
    expect(((await stuck) as RocketMQError).code).toBe('CONNECTION_CLOSED');
  });

  it('connection refused yields CONNECT_FAILED', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = newClient();
    const err = await client.invoke(`127.0.0.1:${port}`, createRequest(ECHO), 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RocketMQError);
    expect((err as RocketMQError).code).toBe('CONNECT_FAILED');
    expect((err as RocketMQError).retriable).toBe(true);
  });

  it('a connect that never completes yields CONNECT_TIMEOUT and the socket is destroyed', async () => {
    // A socket that is never connected stands in for a peer whose SYNs go unanswered.
    const neverConnects = new Socket();
    const client = newClient({ connectTimeoutMs: 200, createSocket: () => neverConnects });
    const err = await client.invoke('192.0.2.1:9876', createRequest(ECHO), 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RocketMQError);
    expect((err as RocketMQError).code).toBe('CONNECT_TIMEOUT');
    expect((err as RocketMQError).message).toContain('200 ms');
    expect(neverConnects.destroyed).toBe(true);
  });

  it('a malformed address is an INVALID_PARAMETER error', async () => {
    const client = newClient();
    await expect(client.invoke('no-port-here', createRequest(ECHO), 1000)).rejects.toMatchObject({
      code: 'INVALID_PARAMETER',
    });
  });

  it('stops reading from a peer that does not read its responses, and resumes when it catches up', async () => {
    const { server, port } = await startServer({ writeHighWaterMark: 256 * 1024 });
    const big = Buffer.alloc(512 * 1024, 7);
    server.registerHandler(104, (request) => createResponse(request, ResponseCode.SUCCESS, { body: big }));
    const slow = await rawPeer(port);
    slow.socket.pause();
    for (let i = 0; i < 40; i++) slow.socket.write(encodeCommand(createRequest(104)));
    await expect.poll(() => [...server.connections][0]?.readsPaused, { timeout: 5000 }).toBe(true);
    const conn = [...server.connections][0]!;
    expect(conn.writable).toBe(false);
    slow.socket.resume();
    await expect.poll(() => slow.received.length, { timeout: 10_000 }).toBe(40);
    expect(conn.readsPaused).toBe(false);
    expect(slow.received.every((r) => r.body?.length === big.length)).toBe(true);
  });

  it('random bytes from a peer never disturb the server (fast-check)', async () => {
    const rawBytes = fc.uint8Array({ minLength: 1, maxLength: 64 });
    // A correct length prefix around random content, so the header decoders see the garbage too.
    const framedBytes = fc.uint8Array({ minLength: 0, maxLength: 96 }).map((payload) => {
      const frame = Buffer.alloc(4 + payload.length);
      frame.writeUInt32BE(payload.length, 0);
      frame.set(payload, 4);
      return frame;
    });
    const { server, port, addr } = await startServer({ maxFrameLength: 64 * 1024 });
    const good = newClient();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(rawBytes, framedBytes), { minLength: 1, maxLength: 4 }), async (chunks) => {
        const peer = await rawPeer(port);
        for (const chunk of chunks) peer.socket.write(chunk);
        const response = await good.invoke(addr, createRequest(ECHO, { extFields: { still: 'served' } }), 3000);
        expect(response.extFields?.still).toBe('served');
        peer.socket.destroy();
        await peer.closed;
      }),
      { numRuns: 25, seed: 20240501 },
    );
    // Every garbage peer is gone; only the good client's connection is left.
    await expect.poll(() => [...server.connections].length).toBe(1);
  });
});
