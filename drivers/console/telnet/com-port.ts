import { ComPort, Control, Option, Parity, Purge, SERVER_OFFSET, StopSize, type ParityName, type StopBits } from './constants.js';
import { subnegotiationFrame } from './writer.js';

/**
 * RFC 2217 (COM-PORT-OPTION): the requests that set a console server's serial port, and the
 * reading of its replies. A reply carries the command + 100 and the value the port took, which
 * is what counts: a server may round a baud rate or not support a parity, and says so only there.
 */

export interface LineSettings {
  baud: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: ParityName;
  stopBits: StopBits;
}

export const DEFAULT_LINE: Omit<LineSettings, 'baud'> = { dataBits: 8, parity: 'none', stopBits: 1 };

/** The settings commands, in the order they are sent; their replies are awaited. */
export const SETTING_COMMANDS = [ComPort.SET_BAUDRATE, ComPort.SET_DATASIZE, ComPort.SET_PARITY, ComPort.SET_STOPSIZE] as const;

const COMMAND_NAMES: Readonly<Record<number, string>> = {
  [ComPort.SET_BAUDRATE]: 'SET-BAUDRATE',
  [ComPort.SET_DATASIZE]: 'SET-DATASIZE',
  [ComPort.SET_PARITY]: 'SET-PARITY',
  [ComPort.SET_STOPSIZE]: 'SET-STOPSIZE',
  [ComPort.SET_CONTROL]: 'SET-CONTROL',
  [ComPort.PURGE_DATA]: 'PURGE-DATA',
};

export const commandName = (command: number): string => COMMAND_NAMES[command] ?? `COM-PORT command ${command}`;

const comPort = (command: number, value: readonly number[]) => subnegotiationFrame(Option.COM_PORT, Uint8Array.of(command, ...value));

/** SET-BAUDRATE, SET-DATASIZE, SET-PARITY, SET-STOPSIZE for `line`; throws RangeError on a value RFC 2217 cannot carry. */
export function lineRequests(line: LineSettings): Uint8Array[] {
  // 0 would ask for the current rate instead of setting one.
  if (!Number.isInteger(line.baud) || line.baud < 1 || line.baud > 0xffffffff)
    throw new RangeError(`baud must be a whole number from 1 to 4294967295, not ${line.baud}`);
  if (![5, 6, 7, 8].includes(line.dataBits)) throw new RangeError(`data bits must be 5, 6, 7 or 8, not ${line.dataBits}`);
  if (!(line.parity in Parity)) throw new RangeError(`parity must be one of ${Object.keys(Parity).join(', ')}, not ${line.parity}`);
  if (!(line.stopBits in StopSize)) throw new RangeError(`stop bits must be 1, 1.5 or 2, not ${line.stopBits}`);
  const b = line.baud;
  return [
    comPort(ComPort.SET_BAUDRATE, [(b >>> 24) & 0xff, (b >>> 16) & 0xff, (b >>> 8) & 0xff, b & 0xff]),
    comPort(ComPort.SET_DATASIZE, [line.dataBits]),
    comPort(ComPort.SET_PARITY, [Parity[line.parity]]),
    comPort(ComPort.SET_STOPSIZE, [StopSize[line.stopBits]]),
  ];
}

/** PURGE-DATA: empties the server's buffers of whatever the line held before this session. */
export const purgeRequest = (which: number = Purge.BOTH) => comPort(ComPort.PURGE_DATA, [which]);

export const breakRequest = (on: boolean) => comPort(ComPort.SET_CONTROL, [on ? Control.BREAK_ON : Control.BREAK_OFF]);

export interface ComPortReply {
  /** The client command this answers (SET-BAUDRATE = 1 …), or a server notification (6, 7). */
  command: number;
  value: Uint8Array;
}

/** A COM-PORT-OPTION subnegotiation from the server; null when it is not a server message (< 100). */
export function parseReply(value: Uint8Array): ComPortReply | null {
  const code = value[0];
  if (code === undefined || code < SERVER_OFFSET) return null;
  return { command: code - SERVER_OFFSET, value: value.subarray(1) };
}

/** What the port took for one setting, read from its reply; null when the reply is malformed. */
export function replyValue(command: number, value: Uint8Array): number | string | null {
  switch (command) {
    case ComPort.SET_BAUDRATE:
      return value.length === 4 ? ((value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0 : null;
    case ComPort.SET_DATASIZE:
      return value.length === 1 ? value[0]! : null;
    case ComPort.SET_PARITY:
      return value.length === 1 ? (Object.entries(Parity).find(([, v]) => v === value[0])?.[0] ?? null) : null;
    case ComPort.SET_STOPSIZE:
      return value.length === 1 ? (Object.entries(StopSize).find(([, v]) => v === value[0])?.[0] ?? null) : null;
    default:
      return null;
  }
}

/** What `line` asks of one setting, in the form replyValue gives. */
export function askedValue(command: number, line: LineSettings): number | string {
  if (command === ComPort.SET_BAUDRATE) return line.baud;
  if (command === ComPort.SET_DATASIZE) return line.dataBits;
  if (command === ComPort.SET_PARITY) return line.parity;
  return String(line.stopBits);
}

/** What the port took, as its replies said (stop bits as '1', '1.5', '2'). */
export interface LineTook {
  baud?: number;
  dataBits?: number;
  parity?: string;
  stopBits?: string;
}

const TOOK_KEY: Readonly<Record<number, keyof LineTook>> = {
  [ComPort.SET_BAUDRATE]: 'baud',
  [ComPort.SET_DATASIZE]: 'dataBits',
  [ComPort.SET_PARITY]: 'parity',
  [ComPort.SET_STOPSIZE]: 'stopBits',
};

/**
 * The server's replies (latest per command) against what was asked: what the port took, and in
 * words each setting that was not answered, not understood, or taken differently.
 */
export function judgeReplies(line: LineSettings, replies: ReadonlyMap<number, Uint8Array>, waitedMs: number): { took: LineTook; problems: string[] } {
  const took: LineTook = {};
  const problems: string[] = [];
  for (const command of SETTING_COMMANDS) {
    const asked = askedValue(command, line);
    const value = replies.get(command);
    const got = value ? replyValue(command, value) : null;
    if (value === undefined) problems.push(`no reply to ${commandName(command)} ${asked} within ${waitedMs / 1000} s`);
    else if (got === null) problems.push(`a malformed reply to ${commandName(command)} ${asked}`);
    else {
      (took as Record<string, number | string>)[TOOK_KEY[command]!] = got;
      if (got !== asked) problems.push(`${commandName(command)}: asked ${asked}, the port took ${got}`);
    }
  }
  return { took, problems };
}
