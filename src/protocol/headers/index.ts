/** Typed RocketMQ custom headers, one module per request family (reference §3). */
export * from './admin.js';
export * from './client.js';
export * from './header.js';
export * from './lock.js';
export * from './namesrv.js';
export * from './offsets.js';
export * from './pull.js';
export * from './query.js';
export * from './retry.js';
export * from './send.js';
export * from './transaction.js';
