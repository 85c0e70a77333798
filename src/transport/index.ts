export { DEFAULT_CONNECT_TIMEOUT_MS, parseAddress, RemotingClient, type RemotingClientOptions } from './client.js';
export {
  type ConnectionOptions,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_INFLIGHT_PER_CONNECTION,
  DEFAULT_WRITE_HIGH_WATER_MARK,
  RemotingConnection,
} from './connection.js';
export {
  Dispatcher,
  OVERLOAD_REMARK,
  RequestContext,
  type RequestHandler,
  requestCodeNotSupported,
} from './dispatcher.js';
export { InflightLimiter } from './inflight-limiter.js';
export { DEFAULT_MAX_PENDING_REQUESTS, RequestTable, type RequestTableOptions } from './request-table.js';
export { DEFAULT_CLOSE_GRACE_MS, RemotingServer, type RemotingServerOptions } from './server.js';
