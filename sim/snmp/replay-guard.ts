/**
 * RFC 3414 timeliness for the simulator's SNMP agent (section 3.2 steps 3 and 7, and the
 * discovery of section 4), hooked into net-snmp's agent, which has none.
 *
 * Why a hook is needed: net-snmp 3.29's Agent gives its engine snmpEngineBoots 0 and
 * snmpEngineTime 10 for ever and never compares a request's msgAuthoritativeEngineID, -Boots or
 * -Time with its own; it localizes the user's keys with whatever engine id the message names. An
 * authPriv SET captured on the wire is then accepted again minutes later, after a restart, and by
 * any other agent with the same user. No option of net-snmp turns such a check on.
 *
 * Where it hooks, and why there (the narrowest points that see what the checks need):
 * - `admit`: SnmpAgent.handle asks it about each decoded request before dispatching it. net-snmp
 *   has authenticated and decrypted the message by then, as step 7 requires. A refused request
 *   gets its report (when reportable) and goes no further: nothing of it is applied.
 * - The agent's Engine gets this engine's boots and time as live properties, so the reports
 *   net-snmp still sends itself (the discovery answer, unknown user names, wrong digests) tell a
 *   manager where this engine's clock is.
 * - The Listener's send is wrapped to count the discovery answers net-snmp sends (refusals of
 *   step 3 too) and to put the counter's value in them, as step 3 says a report carries.
 * `stamp` puts this engine's boots and time in a response (section 3.1 step 1) instead of net-snmp's
 * echo of the request's, so a manager's notion of the agent's clock follows the agent's.
 */

import type { Socket } from 'node:dgram';
import snmp from 'net-snmp';
import { hasV3Internals, type AgentInternals, type OutgoingMessage, type RemoteInfo, type RequestMessage } from './net-snmp-internals.js';
import type { SnmpEngine } from './snmp-engine.js';
import type { Timeliness } from './timeliness.js';

/** usmStats (SNMP-USM-MIB) and the arcs of its counters, as createReportResponseMessage takes them. */
export const USM_STATS = '1.3.6.1.6.3.15.1.1';
const ARC: Record<Exclude<Timeliness, 'ok'>, string> = { notInTimeWindow: '2', unknownEngineId: '4' };

type Send = AgentInternals['listener']['send'];

export class ReplayGuard {
  /** net-snmp's own send: reports made here are counted already and must not pass the wrapper. */
  private readonly send: Send;

  constructor(
    private readonly agent: AgentInternals,
    private readonly engine: SnmpEngine,
    private readonly onProblem: (message: string) => void,
  ) {
    const listener = agent.listener;
    const send: Send = listener.send.bind(listener);
    this.send = send;
    Object.defineProperties(agent.engine, {
      engineBoots: { get: () => engine.boots, enumerable: true, configurable: true },
      engineTime: { get: () => engine.time, enumerable: true, configurable: true },
    });
    listener.send = (message, rinfo, socket) => {
      // net-snmp answers discovery (a GET naming no engine) before dispatching anything.
      if (isReportOf(message, ARC.unknownEngineId)) setCounter(message, engine.refused('unknownEngineId'));
      send(message, rinfo, socket);
    };
  }

  /** Whether `message` may be dispatched; when not, it has been reported (if reportable) and must be dropped. */
  admit(socket: Socket, message: RequestMessage, rinfo: RemoteInfo): boolean {
    if (message.version !== snmp.Version3) return true;
    if (!hasV3Internals(message)) {
      // Fail closed: an upgrade of net-snmp that moved these fields must not turn the checks off.
      this.onProblem(
        `snmp: SNMPv3 request from ${rinfo.address}:${rinfo.port} dropped: net-snmp's message lacks the fields the timeliness check reads (sim/snmp/net-snmp-internals.ts)`,
      );
      return false;
    }
    const p = message.msgSecurityParameters;
    const verdict = this.engine.check({
      engineId: p.msgAuthoritativeEngineID.toString('hex'),
      boots: p.msgAuthoritativeEngineBoots,
      time: p.msgAuthoritativeEngineTime,
      authenticated: Boolean(message.hasAuthentication()),
    });
    if (verdict === 'ok') return true;
    this.onProblem(
      verdict === 'unknownEngineId'
        ? `snmp: SNMPv3 request from ${rinfo.address}:${rinfo.port} for engine ${JSON.stringify(p.msgAuthoritativeEngineID.toString('hex'))} refused (unknownEngineID)`
        : `snmp: SNMPv3 request from ${rinfo.address}:${rinfo.port} with boots ${p.msgAuthoritativeEngineBoots}, time ${p.msgAuthoritativeEngineTime} refused (notInTimeWindow: boots ${this.engine.boots}, time ${this.engine.time})`,
    );
    if (message.isReportable()) this.report(socket, message, rinfo, verdict);
    return false;
  }

  /** Section 3.1 step 1: an authoritative engine's response carries its own boots and time. */
  stamp(response: OutgoingMessage): void {
    const p = response.msgSecurityParameters;
    if (response.version !== snmp.Version3 || !p) return;
    p.msgAuthoritativeEngineBoots = this.engine.boots;
    p.msgAuthoritativeEngineTime = this.engine.time;
  }

  private report(socket: Socket, message: RequestMessage, rinfo: RemoteInfo, verdict: Exclude<Timeliness, 'ok'>): void {
    const report = message.createReportResponseMessage(this.agent.engine, '', ARC[verdict]);
    const stats = this.engine.stats;
    setCounter(report, verdict === 'unknownEngineId' ? stats.unknownEngineIds : stats.notInTimeWindows);
    // RFC 3412 section 6.4: a Report is never itself reportable.
    report.setReportable?.(false);
    const user = message.user;
    if (verdict === 'notInTimeWindow' && user?.authKey !== undefined && report.msgSecurityParameters && report.setAuthentication) {
      // Step 7a: reported at authNoPriv, so the manager can trust the boots and time in it and
      // resynchronise (net-snmp's Session, the driver's, takes no time from an unauthenticated one).
      report.user = {
        name: user.name,
        level: snmp.SecurityLevel.authNoPriv,
        ...(user.authProtocol !== undefined ? { authProtocol: user.authProtocol } : {}),
        authKey: user.authKey,
      };
      report.msgSecurityParameters.msgUserName = user.name;
      report.setAuthentication(true);
    }
    this.send(report, rinfo, socket);
  }
}

function isReportOf(message: OutgoingMessage, arc: string): boolean {
  const vbs = message.pdu?.varbinds;
  return message.version === snmp.Version3 && message.pdu?.type === snmp.PduType.Report && vbs?.length === 1 && vbs[0]!.oid === `${USM_STATS}.${arc}.0`;
}

/** A report's varbind is the counter it names, with the counter's value (net-snmp always says 1). */
function setCounter(report: OutgoingMessage, value: number): void {
  const vb = report.pdu?.varbinds?.[0];
  if (vb) vb.value = value;
}
