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

export interface RequestMessage {
  version: number;
  community?: string;
  user?: { name: string };
  msgGlobalData?: { msgMaxSize: number };
  pdu: RequestPdu;
  createResponseForRequest(pdu: ResponsePdu): unknown;
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
  listener: { send(message: unknown, rinfo: RemoteInfo, socket: Socket): void; sockets: Record<string, Socket> };
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
    typeof a.listener.sockets === 'object';
  if (!ok) throw new Error('net-snmp agent internals are not those of 3.29 (sim/snmp/net-snmp-internals.ts): keep net-snmp at ~3.29 or adapt the SNMP agent');
  return a as AgentInternals;
}
