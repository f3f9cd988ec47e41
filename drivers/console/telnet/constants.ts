/**
 * The numbers of the telnet protocol this client speaks: RFC 854 (commands), RFC 855 (option
 * negotiation and subnegotiation), RFC 856 (BINARY), RFC 858 (SUPPRESS-GO-AHEAD) and RFC 2217
 * (COM-PORT-OPTION, the serial line settings of a console server's port). Values only, no logic.
 */

/** Interpret As Command: starts every command; doubled (IAC IAC) it is the data byte 0xFF. */
export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
/** Subnegotiation Begin: IAC SB option … IAC SE. */
export const SB = 250;
export const GA = 249;
export const EL = 248;
export const EC = 247;
export const AYT = 246;
export const AO = 245;
export const IP = 244;
export const BRK = 243;
export const DM = 242;
export const NOP = 241;
/** Subnegotiation End. */
export const SE = 240;

export type Verb = typeof WILL | typeof WONT | typeof DO | typeof DONT;

export const isVerb = (b: number): b is Verb => b === WILL || b === WONT || b === DO || b === DONT;

export const VERB_NAMES: Readonly<Record<Verb, string>> = { [WILL]: 'WILL', [WONT]: 'WONT', [DO]: 'DO', [DONT]: 'DONT' };

/** Options this client negotiates by number; any other one is refused. */
export const Option = {
  BINARY: 0,
  ECHO: 1,
  SGA: 3,
  COM_PORT: 44,
} as const;

const OPTION_NAMES: Readonly<Record<number, string>> = { 0: 'BINARY', 1: 'ECHO', 3: 'SUPPRESS-GO-AHEAD', 44: 'COM-PORT-OPTION' };

/** An option's name for messages: the RFC's name, or its number. */
export const optionName = (option: number): string => OPTION_NAMES[option] ?? `option ${option}`;

/**
 * RFC 2217 commands, client to server. The server's reply to command N carries N + SERVER_OFFSET
 * and the value the port actually took (which may differ from the one asked for).
 */
export const ComPort = {
  SIGNATURE: 0,
  SET_BAUDRATE: 1,
  SET_DATASIZE: 2,
  SET_PARITY: 3,
  SET_STOPSIZE: 4,
  SET_CONTROL: 5,
  NOTIFY_LINESTATE: 6,
  NOTIFY_MODEMSTATE: 7,
  FLOWCONTROL_SUSPEND: 8,
  FLOWCONTROL_RESUME: 9,
  SET_LINESTATE_MASK: 10,
  SET_MODEMSTATE_MASK: 11,
  PURGE_DATA: 12,
} as const;

export const SERVER_OFFSET = 100;

/** SET-PARITY values. 0 asks the server for the current setting. */
export const Parity = { none: 1, odd: 2, even: 3, mark: 4, space: 5 } as const;
export type ParityName = keyof typeof Parity;

/** SET-STOPSIZE values (1.5 is 3, not 1.5). */
export const StopSize = { 1: 1, 2: 2, 1.5: 3 } as const;
export type StopBits = 1 | 1.5 | 2;

/** SET-CONTROL values this client uses. */
export const Control = { BREAK_ON: 5, BREAK_OFF: 6 } as const;

/** PURGE-DATA values: the server's receive buffer (from the device), transmit buffer, or both. */
export const Purge = { RX: 1, TX: 2, BOTH: 3 } as const;
