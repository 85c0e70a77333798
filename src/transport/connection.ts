import type { Socket } from 'node:net';
import { RocketMQError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import {
  createResponse,
  FLAG_ONEWAY,
  isResponse,
  MAX_FRAME_LENGTH,
  type RemotingCommand,
  type SerializeType,
} from '../protocol/command.js';
import { decodeCommand, encodeCommand, encodeCommandHead, FrameSplitter } from '../protocol/frame.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { Dispatcher } from './dispatcher.js';
import { InflightLimiter } from './inflight-limiter.js';
import { RequestTable } from './request-table.js';

/** Defaults shared by server and client (reference §1.1: 120 s idle, 16 MiB frames). */
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_INFLIGHT_PER_CONNECTION = 4096;
/** Bytes queued for writing above which a server connection stops reading new requests until the queue drains. */
export const DEFAULT_WRITE_HIGH_WATER_MARK = 4 * 1024 * 1024;
/** Bodies at least this long are written after their frame head instead of being copied into one buffer with it. */
const SEPARATE_BODY_BYTES = 16 * 1024;

/** How a {@link RemotingConnection} behaves. */
export interface ConnectionOptions {
  logger: Logger;
  /** Runs incoming requests (responses go to the connection's own request table). */
  dispatcher: Dispatcher;
  /** Largest accepted frame; a bigger claim closes the connection. Default 16 MiB. */
  maxFrameLength?: number;
  /** Close after this long without reads or writes; 0 disables. Default 120 s. */
  idleTimeoutMs?: number;
  /** Requests handled at once before answering SYSTEM_BUSY. Default 4096. */
  maxInflight?: number;
  /** Responses awaited at once before refusing with TOO_MANY_REQUESTS. Default 65535. */
  maxPendingRequests?: number;
  /** Stop reading while more than `writeHighWaterMark` bytes wait to be written. Servers do; clients must not. */
  pauseReadsWhenUnwritable?: boolean;
  writeHighWaterMark?: number;
  /**
   * Header encoding of the requests this side sends (responses always answer in their request's encoding). Default:
   * each request's own `serializeType`. Clients of ours set ROCKETMQ (binary): it is cheaper to encode and decode.
   */
  requestSerializeType?: SerializeType;
}

let nextConnectionId = 0;

/** "ip:port" of the socket's peer; an IPv4-mapped IPv6 address is shown as plain IPv4. */
export function socketPeer(socket: Socket): string {
  let ip = socket.remoteAddress ?? 'unknown';
  if (ip.startsWith('::ffff:')) ip = ip.slice(7);
  return `${ip}:${socket.remotePort ?? 0}`;
}

/**
 * One remoting connection over a connected net.Socket, used by both server and client: splits and decodes frames,
 * hands requests to the dispatcher and responses to its request table, writes commands, tracks writability, closes
 * itself when idle or when the peer sends a frame it cannot decode.
 */
export class RemotingConnection {
  /** Process-unique id, handy as a map key or in logs. */
  readonly id = ++nextConnectionId;
  /** "ip:port" of the peer. */
  readonly remoteAddress: string;
  /** Requests from the peer being handled now. */
  readonly inflight: InflightLimiter;
  private readonly table: RequestTable;
  private readonly splitter: FrameSplitter;
  private readonly logger: Logger;
  private readonly dispatcher: Dispatcher;
  private readonly pauseReadsWhenUnwritable: boolean;
  private readonly writeHighWaterMark: number;
  private readonly requestSerializeType: SerializeType | undefined;
  private readonly closeListeners: Array<(conn: RemotingConnection) => void> = [];
  private closedFlag = false;
  private readsPausedForWrites = false;
  private readsStopped = false;
  private corked = false;
  private readonly closedPromise: Promise<void>;

  constructor(
    readonly socket: Socket,
    options: ConnectionOptions,
  ) {
    this.remoteAddress = socketPeer(socket);
    this.logger = options.logger;
    this.dispatcher = options.dispatcher;
    this.inflight = new InflightLimiter(options.maxInflight ?? DEFAULT_MAX_INFLIGHT_PER_CONNECTION);
    this.table = new RequestTable({
      logger: options.logger,
      peer: this.remoteAddress,
      maxPending: options.maxPendingRequests,
    });
    this.splitter = new FrameSplitter(options.maxFrameLength ?? MAX_FRAME_LENGTH);
    this.pauseReadsWhenUnwritable = options.pauseReadsWhenUnwritable ?? false;
    this.writeHighWaterMark = options.writeHighWaterMark ?? DEFAULT_WRITE_HIGH_WATER_MARK;
    this.requestSerializeType = options.requestSerializeType;

    socket.setNoDelay(true);
    const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    if (idleTimeoutMs > 0) {
      socket.setTimeout(idleTimeoutMs, () => {
        this.logger.info({ peer: this.remoteAddress, idleTimeoutMs }, 'closing idle connection');
        socket.destroy();
      });
    }
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', this.onData);
    socket.on('drain', this.onDrain);
    socket.on('error', this.onError);
    socket.once('close', this.onSocketClose);
  }

  /** True once the socket is closed or being destroyed; nothing more is written. */
  get closed(): boolean {
    return this.closedFlag || this.socket.destroyed;
  }

  /** False while more than the high-water mark of bytes wait to be written to the peer. */
  get writable(): boolean {
    return !this.closed && this.socket.writableLength <= this.writeHighWaterMark;
  }

  /** Whether reading is paused because the peer does not read our writes fast enough. */
  get readsPaused(): boolean {
    return this.readsPausedForWrites;
  }

  /** Responses from the peer awaited now. */
  get pendingRequests(): number {
    return this.table.size;
  }

  /** Resolves when the socket has closed. */
  get whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  /** Calls `listener` once when the connection closes (for any reason). */
  onClose(listener: (conn: RemotingConnection) => void): void {
    this.closeListeners.push(listener);
  }

  /**
   * Sends `request` and awaits its response (matched by opaque). Rejects with REQUEST_TIMEOUT after `timeoutMs`,
   * CONNECTION_CLOSED if the connection closes first, or the encoder's ProtocolError.
   */
  request(request: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    if (this.closed) return Promise.reject(this.closedError());
    let head: Buffer;
    try {
      head = this.encode(request, this.requestSerializeType);
    } catch (err) {
      return Promise.reject(err);
    }
    const response = this.table.register(request.opaque, timeoutMs);
    this.writeCommand(head, request);
    return response;
  }

  /** Sends `request` with the one-way flag (set on a copy if missing); no response is expected. Throws if closed. */
  oneway(request: RemotingCommand): void {
    if (this.closed) throw this.closedError();
    const cmd = (request.flag & FLAG_ONEWAY) === 0 ? { ...request, flag: request.flag | FLAG_ONEWAY } : request;
    this.writeCommand(this.encode(cmd, this.requestSerializeType), cmd);
  }

  /**
   * Writes the response to `request`. Dropped (debug) when the connection is closed; a response the encoder refuses
   * is replaced by a SYSTEM_ERROR answer so the peer does not wait for nothing.
   */
  sendResponse(response: RemotingCommand, request: RemotingCommand): void {
    if (this.closed) {
      this.logger.debug({ peer: this.remoteAddress, opaque: response.opaque }, 'connection closed, response dropped');
      return;
    }
    let cmd = response;
    let head: Buffer;
    try {
      head = this.encode(response, response.serializeType);
    } catch (err) {
      this.logger.error({ err, peer: this.remoteAddress, code: request.code }, 'cannot encode response');
      cmd = createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: 'the response could not be encoded' });
      head = encodeCommand(cmd);
    }
    this.writeCommand(head, cmd);
  }

  /** Stops reading further frames (graceful shutdown); responses already being produced are still written. */
  stopReading(): void {
    this.readsStopped = true;
    this.socket.pause();
  }

  /** Ends the connection after queued writes are flushed; destroys it if it is not closed within `graceMs`. */
  close(graceMs = 3000): Promise<void> {
    if (!this.socket.destroyed) {
      this.socket.end();
      const timer = setTimeout(() => this.socket.destroy(), graceMs);
      timer.unref();
      void this.closedPromise.then(() => clearTimeout(timer));
    }
    return this.closedPromise;
  }

  /** Closes the connection at once; queued writes are lost. */
  destroy(): void {
    this.socket.destroy();
  }

  /** The frame of `cmd`: whole, or only its head when its body is big enough to be written separately. */
  private encode(cmd: RemotingCommand, serializeType: SerializeType | undefined): Buffer {
    return cmd.body !== undefined && cmd.body.length >= SEPARATE_BODY_BYTES
      ? encodeCommandHead(cmd, serializeType)
      : encodeCommand(cmd, serializeType);
  }

  /** Writes `head` (from {@link encode}) and, when it is only the head, the body after it: no copy of big bodies. */
  private writeCommand(head: Buffer, cmd: RemotingCommand): void {
    this.write(head);
    if (cmd.body !== undefined && cmd.body.length >= SEPARATE_BODY_BYTES) this.write(cmd.body);
  }

  private write(frame: Buffer): void {
    // Frames written in the same tick leave in one writev: cork on the first, uncork once the tick is done.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(frame);
    if (
      this.pauseReadsWhenUnwritable &&
      !this.readsPausedForWrites &&
      this.socket.writableLength > this.writeHighWaterMark
    ) {
      this.readsPausedForWrites = true;
      this.socket.pause();
      this.logger.debug(
        { peer: this.remoteAddress, queued: this.socket.writableLength },
        'peer reads slowly, pausing reads until the write queue drains',
      );
    }
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  private closedError(): RocketMQError {
    return new RocketMQError('CONNECTION_CLOSED', `connection to ${this.remoteAddress} is closed`);
  }

  private readonly onData = (chunk: Buffer): void => {
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (err) {
      this.abortOnBadInput(err);
      return;
    }
    for (const frame of frames) {
      let cmd: RemotingCommand;
      try {
        cmd = decodeCommand(frame);
      } catch (err) {
        this.abortOnBadInput(err);
        return;
      }
      if (isResponse(cmd)) this.table.complete(cmd);
      else this.dispatcher.dispatch(this, cmd);
      if (this.closed) return;
    }
  };

  private abortOnBadInput(err: unknown): void {
    this.logger.warn({ err, peer: this.remoteAddress }, 'undecodable frame from peer, closing the connection');
    this.socket.destroy();
  }

  private readonly onDrain = (): void => {
    if (!this.readsPausedForWrites) return;
    this.readsPausedForWrites = false;
    if (!this.readsStopped) this.socket.resume();
  };

  private readonly onError = (err: Error): void => {
    this.logger.debug({ err, peer: this.remoteAddress }, 'socket error');
  };

  private readonly onSocketClose = (): void => {
    this.closedFlag = true;
    this.table.failAll(this.closedError());
    for (const listener of this.closeListeners) {
      try {
        listener(this);
      } catch (err) {
        this.logger.error({ err, peer: this.remoteAddress }, 'connection close listener failed');
      }
    }
  };
}
