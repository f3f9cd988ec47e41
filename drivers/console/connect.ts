import { SerialDriver } from '../serial/serial-driver.js';
import { parseConsoleTarget } from './target.js';
import { openTcpLink, tcpReopener } from './tcp-link.js';
import { openTelnetLink, telnetReopener, type TelnetLinkOptions } from './telnet-link.js';
import { hostPort } from './socket.js';

/**
 * An appliance's console behind a console server: the serial driver, unchanged, over a TCP link
 * instead of a local device. A dropped connection is reconnected (and, for telnet, renegotiated)
 * like an unplugged adapter is reopened, and the handshake then checks it is the same appliance.
 */

export interface ConsoleConnectOptions {
  /** How long a lost connection is retried before the operation fails (default 15 s). */
  reconnectForMs?: number;
  /** telnet://: fail unless the console server took the line settings. */
  requireLineSettings?: boolean;
  /** Told what the console server did not do as asked (telnet://). */
  onProblem?: (message: string) => void;
}

const RECONNECT_FOR_MS = 15_000;

export async function connectConsole(target: string, options: ConsoleConnectOptions = {}): Promise<SerialDriver> {
  const { kind, host, port, baud } = parseConsoleTarget(target);
  const reconnectForMs = options.reconnectForMs ?? RECONNECT_FOR_MS;
  const where = `${kind}://${hostPort(host, port)}`;
  if (kind === 'tcp') {
    const link = await openTcpLink(host, port);
    return SerialDriver.overLink(target, link, { baud, where, reconnect: tcpReopener(host, port, reconnectForMs), reconnectForMs });
  }
  const telnet: TelnetLinkOptions = { baud, requireLineSettings: options.requireLineSettings, onProblem: options.onProblem };
  const link = await openTelnetLink(host, port, telnet);
  return SerialDriver.overLink(target, link, { baud, where, reconnect: telnetReopener(host, port, telnet, reconnectForMs), reconnectForMs });
}
