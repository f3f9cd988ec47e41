import snmp from 'net-snmp';
import type { AgentStore } from '../store/index.js';
import { storedCredentials } from './connect.js';

/**
 * Receives the appliances' notifications (v2c with their community, v3 with their user) and
 * records each as an event. A trap names no appliance, so it is matched by source host when
 * only one appliance of the inventory lives there; otherwise it is kept under its address.
 */
export async function startTrapReceiver(port: number, store: AgentStore): Promise<{ close(): void }> {
  const receiver = snmp.createReceiver({ port, disableAuthorization: false, includeAuthentication: false }, (err: unknown, notification: unknown) => {
    if (err || !notification) return;
    const source = (notification as { rinfo?: { address?: string } }).rinfo?.address ?? 'unknown';
    const pdu = (notification as { pdu?: { varbinds?: snmp.Varbind[] } }).pdu;
    const varbinds = (pdu?.varbinds ?? []).map((vb) => ({ oid: vb.oid, value: Buffer.isBuffer(vb.value) ? vb.value.toString('utf8') : String(vb.value) }));
    const trapOid = varbinds.find((vb) => vb.oid === '1.3.6.1.6.3.1.1.4.1.0')?.value ?? 'unknown';
    const here = store.inventory.list().filter((a) => a.target.startsWith(`snmp://${source}:`) || a.target === `snmp://${source}`);
    store.events.append({ ts: Date.now(), appliance: here.length === 1 ? here[0]!.name : source, kind: 'trap', detail: { trap: trapOid, varbinds } });
  });
  const authorizer = receiver.getAuthorizer();
  for (const a of store.inventory.list()) {
    const c = storedCredentials(a.credentials);
    if (c?.version === '2c') authorizer.addCommunity(c.community);
    else if (c?.version === '3') authorizer.addUser({ name: c.user, level: snmp.SecurityLevel.authPriv, authProtocol: snmp.AuthProtocols.sha, authKey: c.authKey, privProtocol: snmp.PrivProtocols.aes, privKey: c.privKey });
  }
  return { close: () => receiver.close() };
}
