/** The TypeScript RocketMQ client SDK: producers, consumers and admin. */
export * from './admin.js';
export * from './client-instance.js';
export * from './fault-avoidance.js';
export * from './message.js';
export * from './namespace.js';
export * from './producer.js';
export * from './queue-selector.js';
export * from './route.js';
export * from './transaction-producer.js';
