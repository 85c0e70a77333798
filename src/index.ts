/**
 * rocketmq-ts: the public API. The client SDK (producers, consumers, admin), the typed errors, and the protocol
 * primitives a user may need to speak RocketMQ directly. Servers are started through their CLIs or by importing
 * their controllers from the package's internal modules.
 */
export * from './client/index.js';
export * from './common/errors.js';
export { LanguageCode, type RemotingCommand, SerializeType, Version } from './protocol/command.js';
export { RequestCode } from './protocol/request-code.js';
export { ResponseCode } from './protocol/response-code.js';
