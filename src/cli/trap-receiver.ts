/**
 * Receives the appliances' notifications and records each as an event of the appliance that
 * sent it (a failover state change as a `failover` event, ./failover-trap.ts; the rest as `trap`). Listens on 127.0.0.1 unless told otherwise. A datagram is decoded only when it comes
 * from an inventory appliance's address (within that source's rate, trap-gate.ts), and is
 * authenticated against that address's appliances' own credentials — a v2c community or v3
 * user — not against every community of the inventory: one appliance's community does not let
 * anyone write another's events. What is turned away becomes one `trapsDropped` event a minute.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import snmp from 'net-snmp';
import type { AgentStore } from '../store/index.js';
import { FAILOVER_EVENT_KIND } from '../store/appliance-state.js';
import type { ApplianceRecord, UsmCredentials } from '../store/inventory.js';
import { failoverTrapEvent } from './failover-trap.js';
import { TrapGate } from './trap-gate.js';

export interface TrapReceiverOptions {
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Notifications a second per source, and the burst allowed (default 20, 50). */
  rate?: number;
  burst?: number;
  /** How often what was dropped is written as one event (default a minute). */
  reportEveryMs?: number;
  /** How often the inventory's addresses are read again (default 10 s). */
  refreshEveryMs?: number;
  log?: { warn(obj: object, msg: string): void };
}

export interface TrapReceiver {
  close(): Promise<void>;
}

/** The name drop reports are filed under in the event log. */
export const TRAP_RECEIVER = 'trap-receiver';
const TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';

interface Source {
  name: string;
  community?: string;
  user?: snmp.User;
}

interface Authorizer {
  getCommunities(): string[];
  deleteCommunity(c: string): void;
  addCommunity(c: string): void;
  getUsers(): snmp.User[];
  deleteUser(name: string): void;
  addUser(u: snmp.User): void;
}

interface Notification {
  rinfo: dgram.RemoteInfo;
  pdu: { varbinds?: snmp.Varbind[]; community?: string; user?: string };
}

const normalize = (address: string) => address.replace(/^::ffff:(?=\d+\.)/, '');

function sourceOf(record: ApplianceRecord): Source | null {
  const c = record.credentials as { community?: string } & Partial<UsmCredentials>;
  if (c.community) return { name: record.name, community: c.community };
  if (!c.user) return null;
  const priv = c.privKey !== undefined;
  const user: snmp.User = {
    name: c.user,
    level: priv ? snmp.SecurityLevel.authPriv : c.authKey ? snmp.SecurityLevel.authNoPriv : snmp.SecurityLevel.noAuthNoPriv,
  };
  if (c.authKey) Object.assign(user, { authProtocol: snmp.AuthProtocols[c.authProtocol ?? 'sha'], authKey: c.authKey });
  if (priv) Object.assign(user, { privProtocol: snmp.PrivProtocols[c.privProtocol ?? 'aes'], privKey: c.privKey });
  return { name: record.name, user };
}

/** Inventory address → the SNMP appliances there, with their credentials. Names are looked up. */
async function inventorySources(store: AgentStore): Promise<Map<string, Source[]>> {
  const sources = new Map<string, Source[]>();
  for (const record of await store.inventory.list()) {
    if (!record.target.startsWith('snmp:')) continue;
    const source = sourceOf(record);
    if (!source) continue;
    const host = new URL(record.target).hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host)
      ? [host]
      : await lookup(host, { all: true }).then(
          (all) => all.map((a) => a.address),
          () => [] as string[],
        );
    for (const a of addresses) sources.set(normalize(a), [...(sources.get(normalize(a)) ?? []), source]);
  }
  return sources;
}

export async function startTrapReceiver(store: AgentStore, options: TrapReceiverOptions): Promise<TrapReceiver> {
  const host = options.host ?? '127.0.0.1';
  let sources = await inventorySources(store);
  const gate = new TrapGate({ rate: options.rate ?? 20, burst: options.burst ?? 50 });
  let authorizer: Authorizer | null = null;
  /** net-snmp authenticates against its one authorizer: it holds this source's credentials alone while its datagram is handled. */
  const authorizeFor = (here: readonly Source[]) => {
    const a = authorizer!;
    for (const c of [...a.getCommunities()]) a.deleteCommunity(c);
    for (const u of [...a.getUsers()]) a.deleteUser(u.name);
    for (const s of here) {
      if (s.community) a.addCommunity(s.community);
      if (s.user) a.addUser(s.user);
    }
  };
  let socket: dgram.Socket | null = null;
  // Our socket, handed to net-snmp: the gate sees every datagram before net-snmp decodes it.
  const dgramModule = {
    createSocket(type: dgram.SocketType) {
      const s = dgram.createSocket(type);
      socket = s;
      const on = s.on.bind(s) as (event: string, listener: (...args: unknown[]) => void) => dgram.Socket;
      (s as unknown as { on: typeof on }).on = (event, listener) =>
        event !== 'message'
          ? on(event, listener)
          : on('message', (msg, rinfo) => {
              const from = normalize((rinfo as dgram.RemoteInfo).address);
              const here = sources.get(from);
              if (!gate.admit(from, here !== undefined)) return;
              authorizeFor(here!);
              listener(msg, rinfo);
            });
      return s;
    },
  };
  const receiver = snmp.createReceiver(
    { port: options.port, address: host, transport: isIP(host) === 6 ? 'udp6' : 'udp4', dgramModule, disableAuthorization: false, includeAuthentication: true },
    (err: (Error & { rinfo?: dgram.RemoteInfo }) | null, n?: Notification) => {
      if (err || !n) {
        // Wrong community, unknown user, bad keys — or not SNMP at all.
        if (err?.rinfo) gate.drop('badCredentials', normalize(err.rinfo.address));
        return;
      }
      const from = normalize(n.rinfo.address);
      const matching = (sources.get(from) ?? []).filter((s) => (n.pdu.community !== undefined ? s.community === n.pdu.community : s.user?.name === n.pdu.user));
      if (matching.length === 0) return gate.drop('badCredentials', from);
      const varbinds = (n.pdu.varbinds ?? []).map((vb) => ({ oid: vb.oid, value: Buffer.isBuffer(vb.value) ? vb.value.toString('utf8') : String(vb.value) }));
      const trap = varbinds.find((vb) => vb.oid === TRAP_OID)?.value ?? 'unknown';
      const appliance = matching.length === 1 ? matching[0]!.name : from;
      // A failover group member's state change is a `failover` event like the console's; any other notification a `trap`.
      const failover = failoverTrapEvent(trap, varbinds);
      const event = failover
        ? { ts: Date.now(), appliance, kind: FAILOVER_EVENT_KIND, detail: { ...failover, via: 'snmp' } }
        : { ts: Date.now(), appliance, kind: 'trap', detail: { trap, varbinds } };
      store.events.append(event).catch((err: unknown) => options.log?.warn({ err: (err as Error).message, event }, 'recording a notification failed'));
    },
  );
  authorizer = receiver.getAuthorizer() as Authorizer;
  await new Promise<void>((resolve, reject) => {
    socket!.once('listening', resolve);
    socket!.once('error', (e) =>
      reject(new Error(`--trap-port: cannot listen on ${host}:${options.port} (${(e as NodeJS.ErrnoException).code ?? e.message})`)),
    );
  });

  const report = () => {
    const summary = gate.takeSummary();
    if (!summary) return;
    store.events
      .append({ ts: Date.now(), appliance: TRAP_RECEIVER, kind: 'trapsDropped', detail: summary })
      .catch((err: unknown) => options.log?.warn({ err: (err as Error).message }, 'recording the dropped notifications failed'));
    options.log?.warn({ total: summary.total, ...summary.reasons }, 'notifications dropped');
  };
  const refresh = () =>
    inventorySources(store).then(
      (next) => {
        sources = next;
        gate.keepOnly(new Set(next.keys()));
      },
      (err: unknown) => options.log?.warn({ err: (err as Error).message }, 'trap receiver: reading the inventory failed; keeping the addresses it had'),
    );
  const timers = [setInterval(report, options.reportEveryMs ?? 60_000), setInterval(() => void refresh(), options.refreshEveryMs ?? 10_000)];
  for (const t of timers) t.unref();
  return {
    async close() {
      for (const t of timers) clearInterval(t);
      report();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    },
  };
}
