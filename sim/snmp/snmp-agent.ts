/**
 * The simulator's SNMP agent on real UDP: SNMPv2c and SNMPv3 (USM, authPriv with SHA + AES),
 * serving FULCRUM-MIB and the MIB-II system group from the appliance's MIB view, taking weight
 * writes and configuration writes (candidate rows, commit, confirm, rollback), and sending
 * notifications.
 *
 * net-snmp carries the wire (sockets, BER, v3 security); the answers come from
 * sim/snmp/responder.ts and set-handler.ts. See net-snmp-internals.ts for where the two meet.
 * SNMPv3 requests pass RFC 3414's timeliness checks first (replay-guard.ts), against this
 * appliance's own SNMP engine (snmp-engine.ts: engine id, boots kept in the state directory).
 */

import dgram from 'node:dgram';
import snmp from 'net-snmp';
import type { Appliance, ApplianceEvent } from '../../firmware/appliance.js';
import type { Clock, StoragePort } from '../../firmware/ports.js';
import { ErrorStatus } from '../../src/protocol/mib/smi.js';
import { ApplianceMib } from './appliance-mib.js';
import { AppendedView, engineVarbinds } from './engine-mib.js';
import { checkAgentInternals, type AgentInternals, type RemoteInfo, type RequestMessage } from './net-snmp-internals.js';
import { notificationFor, type Notification } from './notifications.js';
import type { SnmpOptions, SnmpUser } from './options.js';
import { answerGet, answerGetBulk, answerGetNext, type ReadResponse } from './responder.js';
import { ReplayGuard } from './replay-guard.js';
import { answerSet, setResponseSize } from './set-handler.js';
import { SnmpEngine } from './snmp-engine.js';
import type { ReadView, WireVarbind } from './wire-view.js';
import { describeError } from '../../src/protocol/describe-error.js';

export { engineIdFor } from './snmp-engine.js';

/** The largest UDP payload: no SNMP message over UDP can be larger. */
const UDP_MAX = 65_507;
/** Bytes a response spends around its varbinds (message header, community or USM parameters, PDU header), generously. */
const V2C_OVERHEAD = 64;
const V3_OVERHEAD = 320;

type Access = 'read' | 'write';

export interface SnmpAgentOptions extends SnmpOptions {
  /** sysUpTime and snmpEngineTime count on it. */
  clock: Clock;
  /** The appliance's non-volatile storage: the SNMP engine keeps its id and boots count there (snmp-engine.ts). */
  storage: StoragePort;
  /** sysName. */
  sysName: string;
  /** Requests the agent drops (unknown community, bad v3 credentials, SNMPv1) and send failures: for a debug log. */
  onProblem?: (message: string) => void;
}

function v3User(u: SnmpUser): snmp.User {
  return {
    name: u.name,
    level: snmp.SecurityLevel.authPriv,
    authProtocol: snmp.AuthProtocols.sha,
    authKey: u.authKey,
    privProtocol: snmp.PrivProtocols.aes,
    privKey: u.privKey,
  };
}

/** A UDP port that was free a moment ago (net-snmp turns port 0 into 161, so "any port" is chosen here). */
async function freeUdpPort(host: string): Promise<number> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export class SnmpAgent {
  private traps: TrapSender | null = null;
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly agent: AgentInternals,
    private readonly guard: ReplayGuard,
    readonly engine: SnmpEngine,
    readonly mib: ApplianceMib,
    private readonly appliance: Appliance,
    private readonly options: SnmpAgentOptions,
    readonly host: string,
    readonly port: number,
  ) {
    this.unsubscribe = appliance.onEvent((e) => this.notify(e));
  }

  /** snmpEngineID, hex. */
  get engineId(): string {
    return this.engine.engineId;
  }

  static async start(appliance: Appliance, options: SnmpAgentOptions): Promise<SnmpAgent> {
    const host = options.host;
    const port = options.port === 0 ? await freeUdpPort(host) : options.port;
    const onProblem = options.onProblem ?? (() => undefined);
    // Boots incremented and durable before the agent can hear anything (snmp-engine.ts).
    const engine = await SnmpEngine.start({ storage: options.storage, clock: options.clock, serialNumber: appliance.identity.serialNumber, onProblem });
    const engineId = engine.engineId;
    // Errors net-snmp reports (unknown community, failed authentication or decryption) are
    // requests it dropped without an answer, as an agent should: they only go to the log.
    const raw: unknown = snmp.createAgent({ address: host, port, transport: host.includes(':') ? 'udp6' : 'udp4', engineID: engineId }, (err: Error | null) => {
      if (err) onProblem(`snmp: ${err.message}`);
    });
    const agent = checkAgentInternals(raw);
    // Installed before the first datagram can be delivered (the sockets only report on a later turn).
    const guard = new ReplayGuard(agent, engine, onProblem);
    await listening(agent);
    const access = new Map<string, Access>();
    const authorizer = agent.getAuthorizer();
    if (options.community !== undefined) access.set(`c:${options.community}`, 'read');
    if (options.writeCommunity !== undefined) access.set(`c:${options.writeCommunity}`, 'write');
    for (const key of access.keys()) authorizer.addCommunity(key.slice(2));
    if (options.v3User) {
      authorizer.addUser(v3User(options.v3User));
      access.set(`u:${options.v3User.name}`, options.v3User.write ? 'write' : 'read');
    }
    const mib = new ApplianceMib(appliance, {
      clock: options.clock,
      sysName: options.sysName,
      ...(options.contact !== undefined ? { sysContact: options.contact } : {}),
      ...(options.location !== undefined ? { sysLocation: options.location } : {}),
      interfaceCounterBase: options.interfaceCounterBase ?? 0n,
    });
    // The first snapshot of a big table takes tens of milliseconds: take it now, not in the first request.
    mib.current();
    const self = new SnmpAgent(agent, guard, engine, mib, appliance, options, host, port);
    const handle = (socket: dgram.Socket, message: RequestMessage, rinfo: RemoteInfo) => self.handle(socket, message, rinfo, access);
    agent.getRequest = handle;
    agent.getNextRequest = handle;
    agent.getBulkRequest = handle;
    agent.setRequest = handle;
    if (options.trapTo) self.traps = new TrapSender(options, engineId, onProblem);
    return self;
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    this.mib.close();
    this.traps?.close();
    await new Promise<void>((resolve) => {
      let open = Object.keys(this.agent.listener.sockets).length;
      if (open === 0) resolve();
      // net-snmp calls back once per socket.
      this.agent.close(() => {
        if (--open === 0) resolve();
      });
    });
  }

  private handle(socket: dgram.Socket, message: RequestMessage, rinfo: RemoteInfo, access: ReadonlyMap<string, Access>): void {
    // RFC 3414 3.2 steps 3 and 7 come before access control: a refused request was reported and applies nothing.
    if (!this.guard.admit(socket, message, rinfo)) return;
    // SNMPv1 cannot carry Counter64 (RFC 3584 would have the agent hide every Counter64 object
    // from it): the tables would be mostly holes, so v1 is not served at all.
    if (message.version === snmp.Version1) return this.problem(`snmp: SNMPv1 request from ${rinfo.address}:${rinfo.port} ignored`);
    const key = message.version === snmp.Version3 ? `u:${message.user?.name ?? ''}` : `c:${message.community ?? ''}`;
    const level = access.get(key);
    // The v3 user "" (noAuthNoPriv) passes net-snmp's checks; it has no access here.
    if (!level)
      return this.problem(
        `snmp: request from ${rinfo.address}:${rinfo.port} with no access (${key.startsWith('u:') ? 'v3 user' : 'community'} ${JSON.stringify(key.slice(2))})`,
      );
    const pdu = message.pdu;
    const names = pdu.varbinds.map((v) => v.oid);
    const max = this.maxMessageSize();
    const budget =
      message.version === snmp.Version3
        ? Math.min(max, message.msgGlobalData?.msgMaxSize ?? UDP_MAX) - V3_OVERHEAD - Buffer.byteLength(message.user?.name ?? '')
        : max - V2C_OVERHEAD - Buffer.byteLength(message.community ?? '');
    try {
      switch (pdu.type) {
        case snmp.PduType.GetRequest:
          return this.reply(socket, rinfo, message, answerGet(this.view(), names, budget));
        case snmp.PduType.GetNextRequest:
          return this.reply(socket, rinfo, message, answerGetNext(this.view(), names, budget));
        case snmp.PduType.GetBulkRequest:
          return this.reply(socket, rinfo, message, answerGetBulk(this.view(), names, pdu.nonRepeaters ?? 0, pdu.maxRepetitions ?? 0, budget));
        case snmp.PduType.SetRequest:
          // RFC 3416 4.2.5: the response echoes the request; if it would not fit, tooBig and nothing applied.
          if (setResponseSize(pdu.varbinds) > budget)
            return this.reply(socket, rinfo, message, { errorStatus: ErrorStatus.tooBig, errorIndex: 0, varbinds: [] });
          answerSet(pdu.varbinds, level === 'write', this.mib).then(
            (r) => this.reply(socket, rinfo, message, r),
            (err: unknown) => this.replyError(socket, rinfo, message, err),
          );
          return;
      }
    } catch (err) {
      this.replyError(socket, rinfo, message, err);
    }
  }

  /** The appliance's snapshot, then the agent's own objects as they are now. */
  private view(): ReadView {
    return new AppendedView(this.mib.current(), engineVarbinds(this.engine, this.maxMessageSize()));
  }

  private maxMessageSize(): number {
    return Math.min(UDP_MAX, this.options.maxMessageSize ?? UDP_MAX);
  }

  private reply(socket: dgram.Socket, rinfo: RemoteInfo, message: RequestMessage, r: ReadResponse): void {
    const response = message.pdu.getResponsePduForRequest();
    response.varbinds = r.varbinds;
    response.errorStatus = r.errorStatus;
    response.errorIndex = r.errorIndex;
    const out = message.createResponseForRequest(response);
    this.guard.stamp(out);
    this.agent.listener.send(out, rinfo, socket);
  }

  /** A bug, or a value the encoder refused: genErr rather than silence, so the manager does not retry in vain. */
  private replyError(socket: dgram.Socket, rinfo: RemoteInfo, message: RequestMessage, err: unknown): void {
    this.problem(`snmp: answering ${rinfo.address}:${rinfo.port} failed: ${describeError(err)}`);
    const echo: WireVarbind[] = message.pdu.varbinds.map((v) => ({ oid: v.oid, type: snmp.ObjectType.Null, value: null }));
    try {
      this.reply(socket, rinfo, message, { errorStatus: ErrorStatus.genErr, errorIndex: echo.length > 0 ? 1 : 0, varbinds: echo });
    } catch {
      // Not even an error response can be encoded (the request's own OIDs): drop it.
    }
  }

  private problem(message: string): void {
    this.options.onProblem?.(message);
  }

  private notify(e: ApplianceEvent): void {
    if (!this.traps) return;
    const n = notificationFor(e, this.appliance.rules, this.appliance.configManager.status().pendingConfirmMs);
    if (n) this.traps.send(n, this.mib.uptimeTicks());
  }
}

/** Sockets bound, or the bind error (an address in use) as a rejection. */
async function listening(agent: AgentInternals): Promise<void> {
  await Promise.all(
    Object.values(agent.listener.sockets).map(
      (socket) =>
        new Promise<void>((resolve, reject) => {
          socket.once('listening', () => resolve());
          socket.once('error', (err) => {
            agent.close();
            reject(err);
          });
        }),
    ),
  );
}

/**
 * Sends notifications as SNMPv2-Trap: with the read community when there is one (a lab's
 * snmptrapd), else SNMPv3 authPriv as the agent's user, authoritative engine = the agent's.
 */
class TrapSender {
  private readonly session: snmp.Session;

  constructor(
    options: SnmpOptions,
    engineId: string,
    private readonly onProblem: (message: string) => void,
  ) {
    const to = options.trapTo!;
    const transport = to.host.includes(':') ? 'udp6' : 'udp4';
    const community = options.community ?? options.writeCommunity;
    this.session =
      community !== undefined
        ? snmp.createSession(to.host, community, { version: snmp.Version2c, trapPort: to.port, transport })
        : snmp.createV3Session(to.host, v3User(options.v3User!), { version: snmp.Version3, trapPort: to.port, transport, engineID: engineId });
  }

  send(n: Notification, upTime: number): void {
    this.session.trap(n.trapOid, n.varbinds as snmp.Varbind[], { upTime }, (err) => {
      if (err) this.onProblem(`snmp: sending notification ${n.trapOid} failed: ${err.message}`);
    });
  }

  close(): void {
    this.session.close();
  }
}
