import { connect, type Socket } from 'node:net';
import { RocketMQError } from '../common/errors.js';
import { type Logger, silentLogger } from '../common/logger.js';
import type { RemotingCommand, SerializeType } from '../protocol/command.js';
import { RemotingConnection } from './connection.js';
import { Dispatcher, type RequestHandler } from './dispatcher.js';

/** Options of a {@link RemotingClient}. */
export interface RemotingClientOptions {
  /** Give up connecting after this long. Default 3000 ms. */
  connectTimeoutMs?: number;
  logger?: Logger;
  /** Close connections idle for this long (re-opened on next use); 0 disables. Default 120 000 ms. */
  idleTimeoutMs?: number;
  /** Largest frame accepted. Default 16 MiB. */
  maxFrameLength?: number;
  /** Responses awaited at once per connection before refusing with TOO_MANY_REQUESTS. Default 65535. */
  maxPendingRequests?: number;
  /** Requests from a server (broker → client) handled at once per connection. Default 4096. */
  maxInflightPerConnection?: number;
  /**
   * Opens the socket to a target; default `net.connect` with TCP_NODELAY. The hook for TLS later, and for tests.
   * The socket must emit 'connect' once connected.
   */
  createSocket?: (target: { host: string; port: number }) => Socket;
  /** Header encoding of the requests sent (JSON or ROCKETMQ binary). Default: each request's own `serializeType`. */
  requestSerializeType?: SerializeType;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;

/** A pooled connection: the connect in progress, and the connection once it is open. */
interface PoolEntry {
  opening: Promise<RemotingConnection>;
  conn: RemotingConnection | undefined;
}

function connectTcp(target: { host: string; port: number }): Socket {
  return connect({ host: target.host, port: target.port, noDelay: true });
}

/** Splits "host:port" (or "[v6]:port"); a malformed address is an INVALID_PARAMETER error. */
export function parseAddress(addr: string): { host: string; port: number } {
  const colon = addr.lastIndexOf(':');
  const port = Number(addr.slice(colon + 1));
  let host = addr.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (colon <= 0 || host === '' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RocketMQError('INVALID_PARAMETER', `not a "host:port" address: "${addr}"`);
  }
  return { host, port };
}

/**
 * The remoting client: one pooled connection per address, opened on first use (concurrent first calls share one
 * connect), dropped when it closes and re-opened on the next call. Also answers requests servers send to it.
 */
export class RemotingClient {
  private readonly options: RemotingClientOptions;
  private readonly logger: Logger;
  private readonly dispatcher: Dispatcher;
  private readonly pool = new Map<string, PoolEntry>();
  private closed = false;

  constructor(options: RemotingClientOptions = {}) {
    this.options = options;
    this.logger = (options.logger ?? silentLogger).child({ component: 'remoting-client' });
    this.dispatcher = new Dispatcher(this.logger);
  }

  /** Routes requests with `code` coming from servers (NOTIFY_CONSUMER_IDS_CHANGED, CHECK_TRANSACTION_STATE…). */
  registerHandler(code: number, handler: RequestHandler): void {
    this.dispatcher.registerHandler(code, handler);
  }

  /** Handles server requests without their own handler. */
  setDefaultHandler(handler: RequestHandler | undefined): void {
    this.dispatcher.setDefaultHandler(handler);
  }

  /** Sends `request` to `addr` ("host:port") and awaits its response. */
  invoke(addr: string, request: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    // usual case: the pooled connection is open, no await before the request goes out
    const conn = this.pool.get(addr)?.conn;
    if (conn !== undefined && !conn.closed && !this.closed) return conn.request(request, timeoutMs);
    return this.connection(addr).then((opened) => opened.request(request, timeoutMs));
  }

  /** Sends a one-way `request` to `addr`; resolves once it is handed to the socket. */
  async invokeOneway(addr: string, request: RemotingCommand): Promise<void> {
    const conn = await this.connection(addr);
    conn.oneway(request);
  }

  /** The pooled connection to `addr`, opened if there is none (or the pooled one is closing). */
  connection(addr: string): Promise<RemotingConnection> {
    if (this.closed) return Promise.reject(new RocketMQError('CONNECTION_CLOSED', 'the remoting client is closed'));
    const pooled = this.pool.get(addr);
    if (pooled !== undefined && !pooled.conn?.closed) return pooled.opening;
    const entry: PoolEntry = { opening: this.open(addr), conn: undefined };
    this.pool.set(addr, entry);
    entry.opening.then(
      (conn) => {
        entry.conn = conn;
        conn.onClose(() => this.drop(addr, entry));
      },
      () => this.drop(addr, entry),
    );
    return entry.opening;
  }

  /** Closes the pooled connection to `addr`, if any (e.g. after it timed out); the next call reconnects. */
  closeConnection(addr: string): void {
    const entry = this.pool.get(addr);
    if (entry === undefined) return;
    this.pool.delete(addr);
    entry.opening.then(
      (conn) => conn.destroy(),
      () => undefined,
    );
  }

  /** Closes every connection; pending requests reject with CONNECTION_CLOSED. Further calls are refused. */
  async close(): Promise<void> {
    this.closed = true;
    const opening = [...this.pool.values()].map((entry) => entry.opening);
    this.pool.clear();
    const settled = await Promise.allSettled(opening);
    await Promise.all(
      settled.map((outcome) => {
        if (outcome.status !== 'fulfilled') return undefined;
        outcome.value.destroy();
        return outcome.value.whenClosed;
      }),
    );
  }

  private drop(addr: string, entry: PoolEntry): void {
    if (this.pool.get(addr) === entry) this.pool.delete(addr);
  }

  private open(addr: string): Promise<RemotingConnection> {
    let target: { host: string; port: number };
    try {
      target = parseAddress(addr);
    } catch (err) {
      return Promise.reject(err);
    }
    const connectTimeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise<RemotingConnection>((resolve, reject) => {
      const socket = (this.options.createSocket ?? connectTcp)(target);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RocketMQError('CONNECT_TIMEOUT', `connecting to ${addr} timed out after ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(new RocketMQError('CONNECT_FAILED', `cannot connect to ${addr}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        if (this.closed) {
          socket.destroy();
          reject(new RocketMQError('CONNECTION_CLOSED', 'the remoting client is closed'));
          return;
        }
        const conn = new RemotingConnection(socket, {
          logger: this.logger,
          dispatcher: this.dispatcher,
          maxFrameLength: this.options.maxFrameLength,
          idleTimeoutMs: this.options.idleTimeoutMs,
          maxInflight: this.options.maxInflightPerConnection,
          maxPendingRequests: this.options.maxPendingRequests,
          pauseReadsWhenUnwritable: false,
          requestSerializeType: this.options.requestSerializeType,
        });
        this.logger.debug({ peer: addr }, 'connected');
        resolve(conn);
      });
    });
  }
}
