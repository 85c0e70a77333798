import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * The process-wide structured logger. Level from ROCKETMQ_LOG_LEVEL (default `info`); tests run silent unless asked.
 * Components take a child logger (`logger.child({ component: 'namesrv' })`) rather than creating their own.
 */
export function createLogger(options: { name?: string; level?: string } = {}): Logger {
  const fallback = process.env.VITEST ? 'silent' : 'info';
  return pino({
    name: options.name ?? 'rocketmq-ts',
    level: options.level ?? process.env.ROCKETMQ_LOG_LEVEL ?? fallback,
  });
}

/** A logger that writes nothing, for library users who pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
