import { DriverError } from '../driver.js';
import type { ByteLink } from '../serial/transport.js';
import { connectSocket, hostPort, retrying } from './socket.js';
import { TelnetSession } from './telnet-session.js';
import {
  DEFAULT_LINE,
  Option,
  SETTING_COMMANDS,
  breakRequest,
  concatFrames,
  judgeReplies,
  lineRequests,
  purgeRequest,
  type LineSettings,
  type LineTook,
} from './telnet/index.js';

/**
 * A console server's telnet port with RFC 2217 (ser2net `accepter: telnet(rfc2217),…`) as a
 * ByteLink. It is handed out only after the handshake: BINARY both ways (without it the channel
 * is not 8-bit clean and the link fails), then, if the server accepts COM-PORT-OPTION, the
 * line's settings and a purge, with the server's replies awaited for a bounded time. From then
 * on `write` escapes 0xFF and `onData` carries only the line's bytes, un-escaped.
 */

export interface TelnetLinkOptions extends Partial<Omit<LineSettings, 'baud'>> {
  baud: number;
  /** Fail unless the server took every setting (COM-PORT-OPTION accepted, each reply matching). */
  requireLineSettings?: boolean;
  /** How long the negotiation, then the replies to the settings, are each waited for (default 2 s). */
  settleMs?: number;
  connectTimeoutMs?: number;
  /** Offer sendBreak(): a break on a console can halt some systems, so it is never there by accident. */
  allowBreak?: boolean;
  /** Told what did not go as asked (settings refused or changed, malformed telnet). */
  onProblem?: (message: string) => void;
}

/** What the handshake established about the serial line. */
export interface LineReport {
  /** The server accepted COM-PORT-OPTION: the settings below are the port's, as it replied. */
  comPort: boolean;
  took: LineTook;
  /** Each way the line differs from what was asked, in words; empty when it is exactly that. */
  problems: string[];
}

export interface TelnetLink extends ByteLink {
  readonly line: LineReport;
}

export interface BreakSender {
  /** Holds the line in the break condition for `ms` (RFC 2217 SET-CONTROL BREAK ON, then OFF). */
  sendBreak(ms: number): Promise<void>;
}

// How long a console server may take to start negotiating, and to answer each line setting. Only
// a server that never answers waits it out; ser2net on a loaded two-core machine took over 2 s.
export const SETTLE_MS = 5_000;
const MAX_BREAK_MS = 10_000;

export function openTelnetLink(host: string, port: number, opts: TelnetLinkOptions & { allowBreak: true }): Promise<TelnetLink & BreakSender>;
export function openTelnetLink(host: string, port: number, opts: TelnetLinkOptions): Promise<TelnetLink>;
export async function openTelnetLink(host: string, port: number, opts: TelnetLinkOptions): Promise<TelnetLink & Partial<BreakSender>> {
  const where = hostPort(host, port);
  const line: LineSettings = { ...DEFAULT_LINE, ...definedOnly(opts), baud: opts.baud };
  let requests: Uint8Array[];
  try {
    requests = lineRequests(line);
  } catch (err) {
    throw new DriverError('badTarget', `${where}: ${(err as Error).message}`);
  }
  const settleMs = opts.settleMs ?? SETTLE_MS;
  const session = new TelnetSession(await connectSocket(host, port, opts.connectTimeoutMs), where, opts.onProblem);
  const fail = async (message: string): Promise<never> => {
    await session.close();
    throw new DriverError('unreachable', `${where}: ${message}`);
  };

  const { negotiator } = session;
  session.sendRaw(concatFrames(negotiator.start()));
  await session.waitFor(() => !negotiator.pending, settleMs);
  if (session.closed)
    return fail('the console server closed the connection during telnet negotiation (another session holding the port, and kickolduser off?)');
  if (!session.heardTelnet) return fail(`no telnet negotiation within ${settleMs / 1000} s: is this a raw TCP port? (use tcp://${where})`);
  for (const side of ['us', 'him'] as const) {
    if (!negotiator.enabled(side, Option.BINARY))
      return fail(`the console server refused BINARY ${side === 'us' ? 'for what we send' : 'for what it sends'}: the channel would not be 8-bit clean`);
  }

  const report: LineReport = { comPort: negotiator.enabled('us', Option.COM_PORT), took: {}, problems: [] };
  if (report.comPort) {
    session.replies.clear();
    session.sendRaw(concatFrames([...requests, purgeRequest()]));
    await session.waitFor(() => SETTING_COMMANDS.every((c) => session.replies.has(c)), settleMs);
    if (session.closed) return fail('the console server closed the connection while the line was being set');
    Object.assign(report, judgeReplies(line, session.replies, settleMs));
  } else {
    const refused = negotiator.refused.some((r) => r.side === 'us' && r.option === Option.COM_PORT);
    const why = refused ? 'the console server refused COM-PORT-OPTION' : `no answer to WILL COM-PORT-OPTION within ${settleMs / 1000} s`;
    report.problems.push(
      `${why}: the line runs at the console server's own settings, not necessarily ${line.baud} ${line.dataBits}${line.parity[0]!.toUpperCase()}${line.stopBits}`,
    );
  }
  if (report.problems.length > 0) {
    if (opts.requireLineSettings) return fail(`the serial line could not be set as required: ${report.problems.join('; ')}`);
    for (const p of report.problems) opts.onProblem?.(`${where}: ${p}`);
  }

  session.deliver();
  const link: TelnetLink & Partial<BreakSender> = {
    line: report,
    write: (bytes) => session.sendData(bytes),
    onData: (listener) => session.onData(listener),
    onClose: (listener) => session.onClose(listener),
    close: () => session.close(),
  };
  if (opts.allowBreak) link.sendBreak = (ms) => sendBreak(session, report, ms);
  return link;
}

/** Reconnects (and renegotiates) a telnet link that went away, every `everyMs`, for at most `forMs`. */
export function telnetReopener(host: string, port: number, opts: TelnetLinkOptions, forMs: number, everyMs = 200): () => Promise<ByteLink> {
  return retrying(() => openTelnetLink(host, port, opts), forMs, everyMs);
}

async function sendBreak(session: TelnetSession, report: LineReport, ms: number): Promise<void> {
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_BREAK_MS) throw new RangeError(`a break lasts more than 0 and at most ${MAX_BREAK_MS} ms, not ${ms}`);
  if (!report.comPort) throw new DriverError('refused', `${session.where}: cannot send a break: the console server did not accept COM-PORT-OPTION`);
  if (session.closed) throw new DriverError('unreachable', `${session.where}: the connection is closed`);
  session.sendRaw(breakRequest(true));
  await new Promise((r) => setTimeout(r, ms));
  // Always switched off again, even if the session closed meanwhile (then it is a no-op).
  session.sendRaw(breakRequest(false));
}

/** The line options the caller actually gave (an explicit undefined must not erase a default). */
function definedOnly(opts: TelnetLinkOptions): Partial<LineSettings> {
  const out: Partial<LineSettings> = {};
  if (opts.dataBits !== undefined) out.dataBits = opts.dataBits;
  if (opts.parity !== undefined) out.parity = opts.parity;
  if (opts.stopBits !== undefined) out.stopBits = opts.stopBits;
  return out;
}
