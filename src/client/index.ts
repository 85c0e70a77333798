/** The TypeScript RocketMQ client SDK: producers, consumers and admin. */
export * from './admin.js';
export * from './allocate.js';
export * from './client-instance.js';
export * from './consume-concurrently.js';
export * from './consume-orderly.js';
export * from './fault-avoidance.js';
export * from './lite-pull-consumer.js';
export * from './message.js';
export * from './namespace.js';
export * from './offset-store.js';
export * from './producer.js';
export * from './push-consumer.js';
export * from './queue-selector.js';
export { buildSubscriptionData, type MessageSelector, retryTopicOf } from './rebalance.js';
export * from './route.js';
export * from './transaction-producer.js';
