import { createServer, type Server, type Socket } from 'node:net';
import { RocketMQError } from '../common/errors.js';
import { type Logger, silentLogger } from '../common/logger.js';
import type { RemotingCommand } from '../protocol/command.js';
import { RemotingConnection } from './connection.js';
import { Dispatcher, type RequestHandler } from './dispatcher.js';

/** Options of a {@link RemotingServer}. */
export interface RemotingServerOptions {
  /** Bind address. Default '0.0.0.0'. */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  logger?: Logger;
  /** Requests handled at once per connection before answering SYSTEM_BUSY. Default 4096. */
  maxInflightPerConnection?: number;
  /** Close connections idle for this long; 0 disables. Default 120 000 ms. */
  idleTimeoutMs?: number;
  /** Largest frame accepted. Default 16 MiB. */
  maxFrameLength?: number;
  /** Bytes queued for a peer above which we stop reading its requests until it catches up. Default 4 MiB. */
  writeHighWaterMark?: number;
}

/** Default time `close()` waits for handlers in flight. */
export const DEFAULT_CLOSE_GRACE_MS = 5000;

/**
 * The remoting server: accepts connections, dispatches their requests by code, answers errors the way the Java
 * server does, and can call its peers back (brokers call clients).
 */
export class RemotingServer {
  private readonly options: RemotingServerOptions;
  private readonly logger: Logger;
  private readonly dispatcher: Dispatcher;
  private readonly server: Server;
  private readonly live = new Set<RemotingConnection>();
  private readonly openListeners: Array<(conn: RemotingConnection) => void> = [];
  private readonly closeListeners: Array<(conn: RemotingConnection) => void> = [];
  private closing: Promise<void> | undefined;

  constructor(options: RemotingServerOptions = {}) {
    this.options = options;
    this.logger = (options.logger ?? silentLogger).child({ component: 'remoting-server' });
    this.dispatcher = new Dispatcher(this.logger);
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => this.logger.error({ err }, 'server socket error'));
  }

  /** Routes requests with `code` to `handler`. */
  registerHandler(code: number, handler: RequestHandler): void {
    this.dispatcher.registerHandler(code, handler);
  }

  /** Handles codes without their own handler (Java's "default processor"). */
  setDefaultHandler(handler: RequestHandler | undefined): void {
    this.dispatcher.setDefaultHandler(handler);
  }

  /** Calls `cb` for every accepted connection. */
  onConnectionOpen(cb: (conn: RemotingConnection) => void): void {
    this.openListeners.push(cb);
  }

  /** Calls `cb` when a connection closes, for any reason (the NameServer expires brokers on it). */
  onConnectionClose(cb: (conn: RemotingConnection) => void): void {
    this.closeListeners.push(cb);
  }

  /** The open connections. */
  get connections(): Iterable<RemotingConnection> {
    return this.live.values();
  }

  /** Starts listening; resolves with the bound address (the actual port when 0 was asked). */
  listen(): Promise<{ host: string; port: number }> {
    const host = this.options.host ?? '0.0.0.0';
    const port = this.options.port ?? 0;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) =>
        reject(new RocketMQError('CONNECT_FAILED', `cannot listen on ${host}:${port}`, { cause: err }));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        const bound = typeof address === 'object' && address !== null ? address.port : port;
        this.logger.info({ host, port: bound }, 'remoting server listening');
        resolve({ host, port: bound });
      });
    });
  }

  /** Sends `request` to the peer of `conn` and awaits its response. */
  invoke(conn: RemotingConnection, request: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    return conn.request(request, timeoutMs);
  }

  /** Sends a one-way `request` to the peer of `conn`. */
  invokeOneway(conn: RemotingConnection, request: RemotingCommand): Promise<void> {
    try {
      conn.oneway(request);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Stops accepting, stops reading new requests, waits up to `graceMs` for handlers in flight so their responses go
   * out, then ends every connection. Idempotent.
   */
  close(graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
    const connections = [...this.live];
    for (const conn of connections) conn.stopReading();
    const deadline = Date.now() + graceMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all(connections.map((conn) => conn.inflight.whenIdle())), timeout]);
    clearTimeout(timer);
    const left = Math.max(deadline - Date.now(), 100);
    await Promise.all(connections.map((conn) => conn.close(left)));
    await stopped;
    this.logger.info('remoting server closed');
  }

  private accept(socket: Socket): void {
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    const conn = new RemotingConnection(socket, {
      logger: this.logger,
      dispatcher: this.dispatcher,
      maxFrameLength: this.options.maxFrameLength,
      idleTimeoutMs: this.options.idleTimeoutMs,
      maxInflight: this.options.maxInflightPerConnection,
      writeHighWaterMark: this.options.writeHighWaterMark,
      pauseReadsWhenUnwritable: true,
    });
    this.live.add(conn);
    conn.onClose(this.forget);
    this.logger.debug({ peer: conn.remoteAddress }, 'connection accepted');
    for (const listener of this.openListeners) this.notify(listener, conn);
  }

  private readonly forget = (conn: RemotingConnection): void => {
    this.live.delete(conn);
    this.logger.debug({ peer: conn.remoteAddress }, 'connection closed');
    for (const listener of this.closeListeners) this.notify(listener, conn);
  };

  private notify(listener: (conn: RemotingConnection) => void, conn: RemotingConnection): void {
    try {
      listener(conn);
    } catch (err) {
      this.logger.error({ err, peer: conn.remoteAddress }, 'connection listener failed');
    }
  }
}
