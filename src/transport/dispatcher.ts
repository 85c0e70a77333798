import { RocketMQError, responseCodeOf } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { createResponse, FLAG_RESPONSE, isOneway, type RemotingCommand } from '../protocol/command.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { RemotingConnection } from './connection.js';

/** Remark of the SYSTEM_BUSY answer when a connection has too many requests in flight (reference §1.9). */
export const OVERLOAD_REMARK = '[OVERLOAD]system busy, start flow control for a while';

/** Longest remark we put on a SYSTEM_ERROR answer for a handler that threw. */
const MAX_ERROR_REMARK = 256;

/**
 * Handles one request. Return the response, or `undefined` to answer later through `ctx.reply` (long polling).
 * Whatever is returned for a one-way request is dropped. A thrown RocketMQError is answered with its responseCode
 * and message; anything else thrown is answered SYSTEM_ERROR.
 */
export type RequestHandler = (
  request: RemotingCommand,
  ctx: RequestContext,
) => Promise<RemotingCommand | undefined> | RemotingCommand | undefined;

/** Java's answer to a request code nobody handles: REQUEST_CODE_NOT_SUPPORTED (3), " request type <code> not supported". */
export function requestCodeNotSupported(request: RemotingCommand): RemotingCommand {
  return createResponse(request, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, {
    remark: ` request type ${request.code} not supported`,
  });
}

/** What a handler knows about the request it handles, and how it answers later. */
export class RequestContext {
  private replied = false;

  constructor(
    /** The request being handled. */
    readonly request: RemotingCommand,
    /** The connection it came on; pass it to server.invoke to call the peer back. */
    readonly connection: RemotingConnection,
    readonly logger: Logger,
  ) {}

  /** "ip:port" of the peer. */
  get remoteAddress(): string {
    return this.connection.remoteAddress;
  }

  /** Whether a response was sent already (or none may be: one-way). */
  get answered(): boolean {
    return this.replied || isOneway(this.request);
  }

  /**
   * Sends `response` as the answer to this request, with the request's opaque and the response flag (on a copy when
   * `response` lacks them; it is never modified). Does nothing for one-way requests, after the first reply, or once
   * the connection is closed.
   */
  reply(response: RemotingCommand): void {
    if (this.replied || isOneway(this.request)) return;
    this.replied = true;
    const { opaque } = this.request;
    const answer =
      response.opaque === opaque && (response.flag & FLAG_RESPONSE) !== 0
        ? response
        : { ...response, opaque, flag: response.flag | FLAG_RESPONSE };
    this.connection.sendResponse(answer, this.request);
  }
}

/**
 * The dispatch table: request code → handler, with a default handler as fallback. Enforces the connection's
 * in-flight cap and turns handler failures into RocketMQ error responses. Shared by server and client (brokers call
 * clients too).
 */
export class Dispatcher {
  private readonly handlers = new Map<number, RequestHandler>();
  private defaultHandler: RequestHandler | undefined;
  private lastOverloadWarning = 0;
  private overloadsSinceWarning = 0;

  constructor(private readonly logger: Logger) {}

  /** Routes requests with `code` to `handler` (replacing any earlier one). */
  registerHandler(code: number, handler: RequestHandler): void {
    this.handlers.set(code, handler);
  }

  /** Handles every code without its own handler. Return requestCodeNotSupported(request) for codes it does not know. */
  setDefaultHandler(handler: RequestHandler | undefined): void {
    this.defaultHandler = handler;
  }

  /** Runs the handler for `request`, received on `connection`. Never throws. */
  dispatch(connection: RemotingConnection, request: RemotingCommand): void {
    const handler = this.handlers.get(request.code) ?? this.defaultHandler;
    const ctx = new RequestContext(request, connection, this.logger);
    if (handler === undefined) {
      ctx.reply(requestCodeNotSupported(request));
      return;
    }
    if (!connection.inflight.tryAcquire()) {
      this.warnOverload(connection, request);
      ctx.reply(createResponse(request, ResponseCode.SYSTEM_BUSY, { remark: OVERLOAD_REMARK }));
      return;
    }
    let result: ReturnType<RequestHandler>;
    try {
      result = handler(request, ctx);
    } catch (err) {
      connection.inflight.release();
      this.answerFailure(ctx, err);
      return;
    }
    if (result instanceof Promise) {
      void this.settle(ctx, result);
      return;
    }
    connection.inflight.release();
    if (result !== undefined) ctx.reply(result);
  }

  /** Logs an overload at most once a second: a flooding peer must not flood the log too. */
  private warnOverload(connection: RemotingConnection, request: RemotingCommand): void {
    const now = Date.now();
    this.overloadsSinceWarning++;
    if (now - this.lastOverloadWarning < 1000) return;
    this.logger.warn(
      {
        peer: connection.remoteAddress,
        code: request.code,
        inflight: connection.inflight.count,
        refused: this.overloadsSinceWarning,
      },
      'too many requests in flight on a connection, answering SYSTEM_BUSY',
    );
    this.lastOverloadWarning = now;
    this.overloadsSinceWarning = 0;
  }

  private async settle(ctx: RequestContext, pending: Promise<RemotingCommand | undefined>): Promise<void> {
    try {
      const result = await pending;
      if (result !== undefined) ctx.reply(result);
    } catch (err) {
      this.answerFailure(ctx, err);
    } finally {
      ctx.connection.inflight.release();
    }
  }

  private answerFailure(ctx: RequestContext, err: unknown): void {
    const { request } = ctx;
    this.logger.warn({ err, peer: ctx.remoteAddress, code: request.code }, 'request handler failed');
    if (ctx.answered) return;
    ctx.reply(createResponse(request, responseCodeOf(err), { remark: describeFailure(err) }));
  }
}

/** A short description of a thrown value for a response remark. */
function describeFailure(err: unknown): string {
  let text: string;
  if (err instanceof RocketMQError) text = err.message;
  else if (err instanceof Error) text = `${err.name}: ${err.message}`;
  else text = String(err);
  return text.length > MAX_ERROR_REMARK ? `${text.slice(0, MAX_ERROR_REMARK - 3)}...` : text;
}
