export * from './common/errors.js';
export * from './protocol/command.js';
export * from './protocol/response-code.js';
