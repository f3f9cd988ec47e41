/**
 * The parts of net-snmp's agent the simulator builds on that its public API (and
 * @types/net-snmp, which types createAgent as `any`) does not describe. net-snmp is pinned to
 * ~3.29 in package.json; `checkAgentInternals` fails the start loudly should an upgrade move them.
 *
 * What is used and why: the agent's Listener (UDP sockets) and USM processing (v3 discovery,
 * reports, authentication, AES decryption and encryption of responses) stay net-snmp's — they
 * interoperate with Debian's tools and are where correctness is hard. Only the dispatch of a
 * decoded request is replaced (getRequest, getNextRequest, getBulkRequest, setRequest), by
 * answers from the sorted MIB view; responses go back through the request message's own
 * createResponseForRequest, so v2c and v3 responses are encoded (and encrypted) as before.
 * sim/snmp/replay-guard.ts adds the RFC 3414 timeliness net-snmp lacks: it reads a message's
 * security parameters, builds reports with the message's createReportResponseMessage, gives the
 * agent's Engine live boots and time, and wraps the Listener's send.
 */

import type { Socket } from 'node:dgram';
import type { WireVarbind } from './wire-view.js';

export interface RequestPdu {
  type: number;
  id: number;
  varbinds: WireVarbind[];
  nonRepeaters?: number;
  maxRepetitions?: number;
  getResponsePduForRequest(): ResponsePdu;
}

export interface ResponsePdu {
  varbinds: WireVarbind[];
  errorStatus?: number;
  errorIndex?: number;
}

/** A v3 message's msgSecurityParameters (RFC 3414 2.4), as net-snmp decodes them. */
export interface SecurityParameters {
  msgAuthoritativeEngineID: Buffer;
  msgAuthoritativeEngineBoots: number;
  msgAuthoritativeEngineTime: number;
  msgUserName: string;
}

/** The local user a v3 message was authenticated as (net-snmp keeps the passphrases and localizes them per message). */
export interface LocalUser {
  name: string;
  level: number;
  authProtocol?: string;
  authKey?: string;
}

export interface RequestMessage {
  version: number;
  community?: string;
  user?: LocalUser;
  msgGlobalData?: { msgID: number; msgMaxSize: number; msgFlags: number };
  msgSecurityParameters?: SecurityParameters;
  pdu: RequestPdu;
  /** Truthy when msgFlags has the auth bit (net-snmp checked the digest before dispatching). */
  hasAuthentication(): unknown;
  isReportable(): unknown;
  createResponseForRequest(pdu: ResponsePdu): OutgoingMessage;
  /** A noAuthNoPriv report from `engine` with the counter `errorType` (RFC 3414's usmStats arc: "2", "4"). */
  createReportResponseMessage(engine: EngineInternals, context: string, errorType: string): OutgoingMessage;
}

/** A message about to be encoded by Listener.send (encoding reads these fields then). */
export interface OutgoingMessage {
  version: number;
  pdu?: { type: number; varbinds?: WireVarbind[] };
  user?: LocalUser;
  msgSecurityParameters?: SecurityParameters;
  setAuthentication?(flag: boolean): void;
  setReportable?(flag: boolean): void;
}

/** The agent's own engine, which net-snmp puts into the reports it sends. */
export interface EngineInternals {
  engineID: Buffer;
  engineBoots: number;
  engineTime: number;
}

export interface RemoteInfo {
  address: string;
  port: number;
}

export type RequestHandler = (socket: Socket, message: RequestMessage, rinfo: RemoteInfo) => void;

export interface AgentInternals {
  getRequest: RequestHandler;
  getNextRequest: RequestHandler;
  getBulkRequest: RequestHandler;
  setRequest: RequestHandler;
  listener: { send(message: OutgoingMessage, rinfo: RemoteInfo, socket: Socket): void; sockets: Record<string, Socket> };
  engine: EngineInternals;
  getAuthorizer(): { addCommunity(community: string): void; addUser(user: object): void };
  close(callback?: () => void): void;
}

export function checkAgentInternals(agent: unknown): AgentInternals {
  const a = agent as Partial<AgentInternals> | null;
  const ok =
    a !== null &&
    typeof a.getRequest === 'function' &&
    typeof a.getNextRequest === 'function' &&
    typeof a.getBulkRequest === 'function' &&
    typeof a.setRequest === 'function' &&
    typeof a.getAuthorizer === 'function' &&
    typeof a.listener?.send === 'function' &&
    typeof a.listener.sockets === 'object' &&
    typeof a.engine === 'object' &&
    a.engine !== null &&
    Buffer.isBuffer(a.engine.engineID) &&
    typeof a.engine.engineBoots === 'number' &&
    typeof a.engine.engineTime === 'number';
  if (!ok) throw new Error('net-snmp agent internals are not those of 3.29 (sim/snmp/net-snmp-internals.ts): keep net-snmp at ~3.29 or adapt the SNMP agent');
  return a as AgentInternals;
}

/** Whether a decoded v3 request has what replay-guard.ts reads (checked per message: messages only exist once one arrives). */
export function hasV3Internals(
  m: RequestMessage,
): m is RequestMessage & { msgSecurityParameters: SecurityParameters; msgGlobalData: { msgID: number; msgMaxSize: number; msgFlags: number } } {
  const p = m.msgSecurityParameters;
  return (
    p !== undefined &&
    Buffer.isBuffer(p.msgAuthoritativeEngineID) &&
    typeof p.msgAuthoritativeEngineBoots === 'number' &&
    typeof p.msgAuthoritativeEngineTime === 'number' &&
    typeof m.msgGlobalData?.msgFlags === 'number' &&
    typeof m.hasAuthentication === 'function' &&
    typeof m.isReportable === 'function' &&
    typeof m.createReportResponseMessage === 'function'
  );
}
