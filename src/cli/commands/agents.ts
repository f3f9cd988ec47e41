/**
 * `fulcrum agents`: the agents polling the store — on a shared postgres:// store every agent
 * registered (site, heartbeat, leases held, last cycle), on a SQLite file its one poller — from
 * this machine's store or, with a context, the remote agent's GET /api/v1/agents.
 */
import { listAgents } from '../../store/agents-view.js';
import { openStore, type AgentRecord } from '../../store/index.js';
import { printJson, table } from '../output.js';
import { remoteApi, type ReachFlags } from '../remote-api.js';

export async function agents(opts: { json?: boolean } & ReachFlags): Promise<void> {
  const api = await remoteApi(opts);
  if (api) return printAgents((await api.get<{ agents: AgentRecord[] }>('/agents', {})).agents, opts);
  const store = await openStore(opts.db ? { file: opts.db } : {});
  try {
    printAgents(await listAgents(store), opts);
  } finally {
    await store.close();
  }
}

const ago = (ms: number, now: number) => `${Math.max(0, Math.round((now - ms) / 1000))} s ago`;

function printAgents(list: readonly AgentRecord[], opts: { json?: boolean }): void {
  if (opts.json) return printJson(list);
  if (list.length === 0) return void process.stdout.write('no agent polls this store (start `fulcrum monitor` or `fulcrum serve`)\n');
  const now = Date.now();
  const rows = list.map((a) => [
    a.id,
    a.site,
    a.stopped ? 'stopped' : a.live ? (a.coordinator ? 'live, coordinator' : 'live') : 'silent',
    ago(a.heartbeat, now),
    String(a.leases),
    a.cycleMs === null ? '-' : `${(a.cycleMs / 1000).toFixed(1)} s`,
    a.command,
  ]);
  process.stdout.write(`${table(['agent', 'site', 'state', 'heartbeat', 'appliances', 'last cycle', 'command'], rows)}\n`);
}
