/** A failover group member's status as FailoverMember.status() reports it, for the MIB view and SET tests. */
import { HEARTBEAT_ERROR_CODES } from '../../../../../firmware/failover/errors.js';
import type { GroupStatus, PeerStatus } from '../../../../../firmware/failover/member.js';

/** The counters the MIB view does not show, all 0. */
const QUIET = Object.fromEntries(
  ['connectionsLost', 'connectionsDropped', 'heartbeatsSent', 'heartbeatsReceived', 'mirrorSent', 'mirrorApplied', 'mirrorRefused', 'mirrorDropped'].map(
    (k) => [k, 0],
  ),
) as Omit<GroupStatus['counters'], 'takeovers' | 'rejected'>;

export function peer(over: Partial<PeerStatus> = {}): PeerStatus {
  return {
    unit: 2,
    priority: 100,
    canServe: true,
    state: 'standby',
    intervalMs: 150,
    tcpFlows: 0,
    links: { udp: 'up', serial: 'silent' },
    sameConfig: true,
    lastHeardAt: 9_500,
    ...over,
  };
}

export function groupStatus(over: Partial<GroupStatus> = {}): GroupStatus {
  return {
    name: 'pair',
    unit: 1,
    state: 'active',
    priority: 200,
    canServe: true,
    preempt: true,
    holding: false,
    listening: true,
    last: { from: 'standby', to: 'active', reason: 'master-down', detail: 'no heartbeat from an active member for 600 ms on udp', at: 4_000, peer: null },
    peers: [peer()],
    counters: { ...QUIET, takeovers: 3, rejected: Object.fromEntries(HEARTBEAT_ERROR_CODES.map((c) => [c, 0])) as GroupStatus['counters']['rejected'] },
    ...over,
  };
}
