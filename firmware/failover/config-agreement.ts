/**
 * Config agreement inside a failover group: how members holding a commit confirmed learn its
 * outcome from each other, so that an agent lost between confirming one member and the next
 * does not leave the group split (docs/design.md, "Failover groups").
 *
 * Invariants:
 * - a member confirms its own pending commit only on a heartbeat accepted whole (group, MAC and
 *   replay checks passed) from a peer of its group that states it runs the same config id
 *   prefix *confirmed*. Never the other way: a peer that runs another id, or the same one still
 *   pending, or states nothing, changes nothing — those members all revert at their own
 *   timeouts to the config they agreed on before, which is consistent too;
 * - a member states "pending" only while its own commit is pending, and "confirmed" only while
 *   it runs a confirmed config and hears a live peer that states "pending"; otherwise its
 *   heartbeat states nothing, as firmware without these flags sends (heartbeat-codec.ts).
 */
import type { PeerView } from './election.js';
import { CONFIG_PREFIX_BYTES, type ConfigConfirm, type Heartbeat } from './heartbeat-codec.js';

/** What this member's heartbeats say of its running config. */
export function configStatement(ownPending: boolean, peers: readonly PeerView[], isLive: (p: PeerView) => boolean): ConfigConfirm | undefined {
  if (ownPending) return 'pending';
  return peers.some((p) => p.configConfirm === 'pending' && isLive(p)) ? 'confirmed' : undefined;
}

/** Whether `heard`, accepted whole from a peer, settles this member's pending commit of `ownConfigId` (hex) as confirmed. */
export function peerConfirms(ownPending: boolean, ownConfigId: string, heard: Pick<Heartbeat, 'configIdPrefix' | 'configConfirm'>): boolean {
  return ownPending && heard.configConfirm === 'confirmed' && samePrefix(ownConfigId, heard.configIdPrefix);
}

function samePrefix(configId: string, prefix: Uint8Array): boolean {
  if (prefix.length !== CONFIG_PREFIX_BYTES || configId.length < CONFIG_PREFIX_BYTES * 2) return false;
  for (let i = 0; i < CONFIG_PREFIX_BYTES; i++) if (Number.parseInt(configId.slice(i * 2, i * 2 + 2), 16) !== prefix[i]) return false;
  return true;
}
