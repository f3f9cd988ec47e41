/**
 * Agents on one PostgreSQL: the same simulated SNMP fleet polled by one `fulcrum monitor` and
 * then by three on one server store (a private PostgreSQL 15, bench/lib/postgres-server.ts):
 * samples landed per second, the slowest cycle, the peak RSS of each agent, the server's own CPU
 * — and the unpolled gap of a SIGKILLed agent's appliances (from each one's last frame before
 * the kill to its first after), beside what the field's tools cite: LibreNMS' distributed
 * pollers lose up to a poll interval when a poller dies (its default 300 s), Zabbix proxy groups
 * move a dead proxy's hosts after their failover delay (default 60 s). Cited, not run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { openStore } from '../src/store/index.js';
import { ownershipTtlFor } from '../src/poller/ownership/membership.js';
import { hasPostgres, startPostgres, type PostgresServer } from './lib/postgres-server.js';
import { cpuSeconds } from './lib/processes.js';
import { repoRoot, result, type Result } from './lib/report.js';
import { rssMb, startFleet, writeFleetRules } from './lib/sim-fleet.js';

const FLEET = 300;
const SERVICES = 5;
const BACKENDS = 4;
const INTERVAL_S = 5;
const RUN_S = 40;
const LIBRENMS_GAP_S = 300;
const ZABBIX_GAP_S = 60;
const TTL_S = ownershipTtlFor(INTERVAL_S * 1000) / 1000;

export const title = 'Agents sharing one PostgreSQL store: one agent and three, and the gap a killed agent leaves';

export const notes = [
  `${FLEET} simulated SNMP appliances (one \`fulcrum sim fleet\` process, ${SERVICES} services × ${BACKENDS} backends each), polled every ${INTERVAL_S} s for ${RUN_S} s by one \`fulcrum monitor --store postgres://…\` and then, on a fresh database, by three; all on this 2-core machine with the simulator and the server.`,
  'Samples landed: the points the agents report stored (their --json cycle lines) per second of the run, after their first cycle; the fleet offers about as many as it has series per interval, so with agents keeping up both figures are that offer. Slowest cycle: the longest cycle any agent reported after its first; the first (which creates every series in the store and waits for the coordinator’s plan) is its own figure. RSS: each agent’s peak, sampled every second. Server CPU: user+system seconds of the PostgreSQL processes over the run, as a share of one core.',
  `Gap: with three agents, one is SIGKILLed; for each appliance it held, the time from the kill to its first stored frame after it (bound: the lease TTL, ${TTL_S} s at a ${INTERVAL_S} s interval, + one interval), and the unpolled gap from its last frame before the kill to that first one after (up to one interval more). Peers, cited: LibreNMS distributed polling, up to one poll interval (${LIBRENMS_GAP_S} s default); Zabbix proxy groups, the failover delay (${ZABBIX_GAP_S} s default).`,
];

interface Agent {
  child: ChildProcess;
  cycles: Array<{ at: number; points: number; ms: number }>;
  peakRss: number;
}

function startAgent(url: string, home: string): Agent {
  const child = spawn(process.execPath, [path.join(repoRoot(), 'bin/fulcrum.js'), 'monitor', '--interval', `${INTERVAL_S}s`, '--store', url, '--json'], {
    env: { ...process.env, FULCRUM_HOME: home, FULCRUM_LOG: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const agent: Agent = { child, cycles: [], peakRss: 0 };
  createInterface({ input: child.stdout! }).on('line', (l) => {
    if (!l.startsWith('{')) return;
    const c = JSON.parse(l) as { at: number; points: number; ms: number };
    agent.cycles.push({ at: c.at, points: c.points, ms: c.ms });
  });
  return agent;
}

const serverCpu = (server: PostgresServer) => server.pids().reduce((n, pid) => n + (cpuSeconds(pid) ?? 0), 0);

async function fleetStore(server: PostgresServer, name: string, home: string, targets: readonly string[]): Promise<string> {
  const url = await server.createDatabase(name);
  const store = await openStore({ file: url, keyFile: path.join(home, 'secret.key') });
  try {
    for (const [i, t] of targets.entries()) await store.inventory.add({ name: `a${i}`, target: t, credentials: { community: 'public' } });
  } finally {
    await store.close();
  }
  return url;
}

/** `count` agents for RUN_S on a fresh database: the run's figures, the agents left running for the caller. */
async function pollFor(server: PostgresServer, count: number, home: string, targets: readonly string[]) {
  const url = await fleetStore(server, `bench${count}`, home, targets);
  const agents = Array.from({ length: count }, () => startAgent(url, home));
  const cpu0 = serverCpu(server);
  const started = Date.now();
  const sampler = setInterval(() => {
    for (const a of agents) a.peakRss = Math.max(a.peakRss, rssMb(a.child.pid!) ?? 0);
  }, 1_000);
  await new Promise((r) => setTimeout(r, RUN_S * 1000));
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  const cpu = (serverCpu(server) - cpu0) / seconds;
  // The first cycle of each agent sets the counters' baselines (and waits for the plan): counted from the second.
  const steady = agents.flatMap((a) => a.cycles.slice(1));
  const span = steady.length > 0 ? (Math.max(...steady.map((c) => c.at)) - Math.min(...agents.map((a) => a.cycles[0]?.at ?? Date.now()))) / 1000 : seconds;
  return {
    url,
    agents,
    samplesPerSecond: steady.reduce((n, c) => n + c.points, 0) / Math.max(1, span),
    // The first cycle creates every series (and waits for the plan): reported apart, as its own figure.
    slowestMs: Math.max(0, ...steady.map((c) => c.ms)),
    firstMs: Math.max(0, ...agents.map((a) => a.cycles[0]?.ms ?? 0)),
    rss: agents.map((a) => a.peakRss),
    serverCpu: cpu,
  };
}

const kill = (a: Agent, signal: NodeJS.Signals) =>
  new Promise<void>((resolve) => {
    if (a.child.exitCode !== null || a.child.signalCode !== null) return resolve();
    a.child.once('exit', () => resolve());
    a.child.kill(signal);
  });

/** SIGKILL one of `agents`; the longest gap of its appliances, s. */
async function killGap(url: string, agents: Agent[]): Promise<{ gapS: number; sinceKillS: number; appliances: number }> {
  const db = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const victim = agents[0]!;
    const id = (await db.query<{ id: string }>('SELECT id FROM agents WHERE pid = $1 AND NOT stopped', [victim.child.pid])).rows[0]?.id;
    const theirs = (await db.query<{ appliance: string }>('SELECT appliance FROM appliance_leases WHERE agent = $1', [id])).rows.map((r) => r.appliance);
    if (theirs.length === 0) throw new Error('the agent to kill holds no appliance');
    const newest = async (): Promise<Map<string, number>> =>
      new Map(
        (
          await db.query<{ name: string; ts: number }>(
            'SELECT m.name, max(r.ts)::bigint AS ts FROM sample_raw r JOIN metric_appliance m ON m.id = r.appliance WHERE m.name = ANY($1) GROUP BY m.name',
            [theirs],
          )
        ).rows.map((r) => [r.name, Number(r.ts)]),
      );
    const before = await newest();
    await kill(victim, 'SIGKILL');
    const killedAt = Date.now() / 1000;
    const deadline = Date.now() + (TTL_S + 4 * INTERVAL_S) * 1000;
    let after = await newest();
    while (theirs.some((n) => (after.get(n) ?? 0) <= (before.get(n) ?? 0)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      after = await newest();
    }
    const missing = theirs.filter((n) => (after.get(n) ?? 0) <= (before.get(n) ?? 0));
    if (missing.length > 0) throw new Error(`${missing.length} appliances of the killed agent were not polled again within ${TTL_S + 4 * INTERVAL_S} s`);
    // Frames are whole seconds: the gap is from the last frame before the kill to the first one after.
    const firstAfter = await Promise.all(
      theirs.map(async (n) => {
        const r = await db.query<{ ts: number }>(
          'SELECT min(r.ts)::bigint AS ts FROM sample_raw r JOIN metric_appliance m ON m.id = r.appliance WHERE m.name = $1 AND r.ts > $2',
          [n, Math.floor(killedAt)],
        );
        const first = Number(r.rows[0]!.ts);
        return { gap: first - (before.get(n) ?? killedAt), sinceKill: first - killedAt };
      }),
    );
    return { gapS: Math.max(...firstAfter.map((f) => f.gap)), sinceKillS: Math.max(...firstAfter.map((f) => f.sinceKill)), appliances: theirs.length };
  } finally {
    await db.end();
  }
}

export async function run(): Promise<Result[]> {
  if (!hasPostgres()) return [];
  const home = mkdtempSync(path.join(tmpdir(), 'fulcrum-bench-agents-'));
  const server = await startPostgres();
  const fleet = await startFleet(FLEET, writeFleetRules(path.join(home, 'rules.yaml'), SERVICES, BACKENDS));
  const running: Agent[] = [];
  try {
    const one = await pollFor(server, 1, home, fleet.targets);
    running.push(...one.agents);
    await Promise.all(one.agents.map((a) => kill(a, 'SIGTERM')));
    const three = await pollFor(server, 3, home, fleet.targets);
    running.push(...three.agents);
    const gap = await killGap(three.url, three.agents);
    await Promise.all(three.agents.map((a) => kill(a, 'SIGTERM')));
    const interval = INTERVAL_S * 1000;
    return [
      result({ name: 'samples landed per second, 1 agent', value: one.samplesPerSecond, unit: 'samples/s', better: 'higher' }),
      result({
        name: 'samples landed per second, 3 agents',
        value: three.samplesPerSecond,
        unit: 'samples/s',
        better: 'higher',
        peer: { name: '1 agent, same fleet', value: one.samplesPerSecond },
      }),
      result({ name: 'slowest cycle after the first, 1 agent', value: one.slowestMs, unit: 'ms', better: 'lower', goal: { value: interval } }),
      result({ name: 'slowest cycle after the first, 3 agents', value: three.slowestMs, unit: 'ms', better: 'lower', goal: { value: interval } }),
      result({ name: 'first cycle (every series created), 1 agent', value: one.firstMs, unit: 'ms', better: 'lower' }),
      result({ name: 'first cycle (every series created), 3 agents, slowest', value: three.firstMs, unit: 'ms', better: 'lower' }),
      result({ name: 'peak RSS, 1 agent', value: one.rss[0] ?? 0, unit: 'MB', better: 'lower' }),
      result({ name: 'peak RSS per agent, 3 agents (largest)', value: Math.max(...three.rss), unit: 'MB', better: 'lower' }),
      result({ name: 'PostgreSQL CPU, 1 agent', value: one.serverCpu * 100, unit: '% of a core', better: 'lower' }),
      result({ name: 'PostgreSQL CPU, 3 agents', value: three.serverCpu * 100, unit: '% of a core', better: 'lower' }),
      result({
        name: `SIGKILL to polled again (${gap.appliances} appliances, the last of them)`,
        value: gap.sinceKillS,
        unit: 's',
        better: 'lower',
        goal: { value: TTL_S + INTERVAL_S },
      }),
      result({
        name: 'unpolled gap after SIGKILL (last frame before to first after, longest)',
        value: gap.gapS,
        unit: 's',
        better: 'lower',
        peer: { name: `Zabbix proxy group failover delay (default, cited)`, value: ZABBIX_GAP_S },
      }),
      result({
        name: 'unpolled gap after SIGKILL vs LibreNMS',
        value: gap.gapS,
        unit: 's',
        better: 'lower',
        peer: { name: `LibreNMS, up to one poll interval (${LIBRENMS_GAP_S} s default, cited)`, value: LIBRENMS_GAP_S },
      }),
    ];
  } finally {
    await Promise.all(running.map((a) => kill(a, 'SIGKILL')));
    await fleet.stop();
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
}
