/**
 * A receiver of FULCRUM-MIB's fulcrumFailoverStateChange notifications for tests of failover
 * pairs: a real UDP trap receiver (net-snmp's) that the simulators send to with `--trap-to`,
 * keeping each notification's unit, state and reason in arrival order.
 */
import snmp from 'net-snmp';
import { freePort } from '../../sim/free-port.js';
import * as Mib from '../../src/protocol/mib/fulcrum-mib.js';
import { snmpTrapOID } from '../../src/protocol/mib/mib2.js';
import { formatOid, type Oid } from '../../src/protocol/mib/oid.js';
import { waitUntil } from './eventually.js';

export interface FailoverTrap {
  unit: number;
  /** FoStateCode */
  state: number;
  /** FoReasonCode */
  reason: number;
}

export interface FailoverTrapReceiver {
  /** `HOST:PORT` for the simulators' --trap-to. */
  address: string;
  /** Every state change received so far, in order. */
  readonly traps: FailoverTrap[];
  /** The first trap (from index `from` on) that matches, waiting for it up to 15 s. */
  waitFor(match: (t: FailoverTrap) => boolean, from?: number): Promise<FailoverTrap>;
  close(): Promise<void>;
}

const instance = (o: Oid) => `${formatOid(o)}.0`;

export async function startFailoverTrapReceiver(community = 'public'): Promise<FailoverTrapReceiver> {
  const port = await freePort();
  const traps: FailoverTrap[] = [];
  const receiver = snmp.createReceiver(
    { port, address: '127.0.0.1', transport: 'udp4' },
    (err: Error | null, n?: { pdu: { varbinds: { oid: string; value: unknown }[] } }) => {
      if (err || !n) return;
      const value = (oid: string) => n.pdu.varbinds.find((v) => v.oid === oid)?.value;
      if (value(formatOid([...snmpTrapOID, 0])) !== formatOid(Mib.fulcrumFailoverStateChange)) return;
      traps.push({
        unit: Number(value(instance(Mib.fulcrumFoUnit))),
        state: Number(value(instance(Mib.fulcrumFoState))),
        reason: Number(value(instance(Mib.fulcrumFoLastReason))),
      });
    },
  );
  (receiver as unknown as { getAuthorizer(): { addCommunity(c: string): void } }).getAuthorizer().addCommunity(community);
  return {
    address: `127.0.0.1:${port}`,
    traps,
    waitFor: (match, from = 0) =>
      waitUntil(`a fulcrumFailoverStateChange as expected (received ${JSON.stringify(traps.slice(from))})`, () => traps.slice(from).find(match), 15_000, 50),
    close: () => new Promise<void>((resolve) => receiver.close(() => resolve())),
  };
}
