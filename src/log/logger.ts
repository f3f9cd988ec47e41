import { pino, type Logger } from 'pino';

/**
 * Structured logs on stderr (stdout belongs to command output). Level from FULCRUM_LOG
 * (trace, debug, info, warn, error, silent); default info.
 */
export function createLogger(name: string): Logger {
  return pino({ name, level: process.env.FULCRUM_LOG ?? 'info', base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
}
