/**
 * OwnershipStore on PostgreSQL (tables agents, coordinator, appliance_leases: schema.ts V2).
 * Every time compared is `now()` of the server, never an agent's clock. Each change that reads
 * and then writes runs in one transaction with the rows it depends on locked (FOR UPDATE), so
 * two agents acting at once serialise on the row instead of both winning.
 */
import type { PgDb } from './connection.js';
import type { AgentRecord, AgentRegistration, HeldLease, OwnershipStore } from '../ownership.js';

interface AgentRow {
  id: string;
  site: string;
  capacity: number;
  host: string;
  pid: number;
  command: string;
  started: number;
  heartbeat: number;
  cycle_ms: number | null;
  ttl_ms: number;
  api_url: string | null;
  stopped: boolean;
  live: boolean;
  leases: number;
  coordinator: boolean;
}

const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::bigint`;
const ttl = (param: string) => `(${param}::bigint * interval '1 millisecond')`;

const AGENTS = `SELECT a.id, a.site, a.capacity, a.host, a.pid, a.command, ${ms('a.started')} AS started, ${ms('a.heartbeat')} AS heartbeat,
  a.cycle_ms, a.ttl_ms, a.api_url, a.stopped, (NOT a.stopped AND a.heartbeat > now() - a.ttl_ms * interval '1 millisecond') AS live,
  (SELECT count(*) FROM appliance_leases l WHERE l.agent = a.id AND l.expires > now())::int AS leases,
  EXISTS (SELECT 1 FROM coordinator c WHERE c.agent = a.id AND c.expires > now()) AS coordinator
  FROM agents a`;

const fromRow = (r: AgentRow): AgentRecord => ({
  id: r.id,
  site: r.site,
  capacity: r.capacity,
  host: r.host,
  pid: r.pid,
  command: r.command,
  apiUrl: r.api_url,
  started: r.started,
  heartbeat: r.heartbeat,
  cycleMs: r.cycle_ms,
  ttlMs: r.ttl_ms,
  stopped: r.stopped,
  live: r.live,
  leases: r.leases,
  coordinator: r.coordinator,
});

export class PgOwnership implements OwnershipStore {
  constructor(private readonly db: PgDb) {}

  async heartbeat(agent: AgentRegistration, cycleMs: number | null, ttlMs: number): Promise<void> {
    await this.db.transaction(async (client) => {
      await client.query(
        `INSERT INTO agents (id, site, capacity, host, pid, command, cycle_ms, ttl_ms, api_url) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET heartbeat = now(), site = excluded.site, capacity = excluded.capacity, ttl_ms = excluded.ttl_ms, api_url = excluded.api_url,
           cycle_ms = coalesce(excluded.cycle_ms, agents.cycle_ms)
         WHERE NOT agents.stopped`,
        [
          agent.id,
          agent.site,
          agent.capacity,
          agent.host,
          agent.pid,
          agent.command,
          cycleMs === null ? null : Math.round(cycleMs),
          Math.floor(ttlMs),
          agent.apiUrl,
        ],
      );
      // Only leases still unexpired: one that lapsed (this agent was stopped too long) may have a new owner already.
      await client.query(`UPDATE appliance_leases SET expires = now() + ${ttl('$2')} WHERE agent = $1 AND expires > now()`, [agent.id, Math.floor(ttlMs)]);
    });
  }

  async coordinate(agent: string, ttlMs: number): Promise<number | null> {
    const r = await this.db.query<{ epoch: number }>(
      `UPDATE coordinator SET epoch = CASE WHEN agent IS NOT DISTINCT FROM $1 AND expires > now() THEN epoch ELSE epoch + 1 END,
         agent = $1, expires = now() + ${ttl('$2')}
       WHERE agent IS NOT DISTINCT FROM $1 OR agent IS NULL OR expires <= now()
       RETURNING epoch`,
      [agent, Math.floor(ttlMs)],
    );
    return r.rows[0]?.epoch ?? null;
  }

  async view(): Promise<{ agents: AgentRecord[]; appliances: Array<{ name: string; site: string }> }> {
    const agents = (await this.db.query<AgentRow>(`${AGENTS} WHERE NOT a.stopped AND a.heartbeat > now() - a.ttl_ms * interval '1 millisecond' ORDER BY a.id`))
      .rows;
    const appliances = (await this.db.query<{ name: string; site: string }>('SELECT name, site FROM appliances ORDER BY name')).rows;
    return { agents: agents.map(fromRow), appliances };
  }

  async assign(agent: string, epoch: number, wanted: ReadonlyMap<string, string | null>): Promise<boolean> {
    return this.db.transaction(async (client) => {
      const c = (
        await client.query<{ ok: boolean }>('SELECT (agent = $1 AND epoch = $2 AND expires > now()) AS ok FROM coordinator FOR UPDATE', [agent, epoch])
      ).rows[0];
      if (!c?.ok) return false;
      const names = [...wanted.keys()];
      await client.query(
        `INSERT INTO appliance_leases (appliance, wanted) SELECT u.name, u.wanted FROM unnest($1::text[], $2::text[]) AS u(name, wanted)
         WHERE EXISTS (SELECT 1 FROM appliances a WHERE a.name = u.name)
         ON CONFLICT (appliance) DO UPDATE SET wanted = excluded.wanted WHERE appliance_leases.wanted IS DISTINCT FROM excluded.wanted`,
        [names, names.map((n) => wanted.get(n) ?? null)],
      );
      return true;
    });
  }

  async sync(agent: string, ttlMs: number): Promise<HeldLease[]> {
    return this.db.transaction(async (client) => {
      await client.query('UPDATE appliance_leases SET agent = NULL, expires = now() WHERE agent = $1 AND wanted IS DISTINCT FROM $1', [agent]);
      // Taking one over (free, or its holder's lease ran out) is a new epoch: the old holder's late writes carry the old one.
      await client.query(
        `UPDATE appliance_leases SET agent = $1, epoch = epoch + 1, expires = now() + ${ttl('$2')}
         WHERE wanted = $1 AND (agent IS NULL OR expires <= now())`,
        [agent, Math.floor(ttlMs)],
      );
      await client.query(`UPDATE appliance_leases SET expires = now() + ${ttl('$2')} WHERE agent = $1 AND expires > now()`, [agent, Math.floor(ttlMs)]);
      return (await client.query<HeldLease>('SELECT appliance, epoch FROM appliance_leases WHERE agent = $1 AND expires > now() ORDER BY appliance', [agent]))
        .rows;
    });
  }

  async leave(agent: string): Promise<void> {
    await this.db.transaction(async (client) => {
      await client.query('UPDATE appliance_leases SET agent = NULL, expires = now() WHERE agent = $1', [agent]);
      await client.query('UPDATE coordinator SET agent = NULL, expires = now() WHERE agent = $1', [agent]);
      await client.query('UPDATE agents SET stopped = TRUE, heartbeat = now() WHERE id = $1', [agent]);
    });
  }

  async agents(): Promise<AgentRecord[]> {
    return (await this.db.query<AgentRow>(`${AGENTS} ORDER BY a.heartbeat DESC, a.id`)).rows.map(fromRow);
  }

  async owners(): Promise<Map<string, string>> {
    const rows = (
      await this.db.query<{ appliance: string; agent: string }>('SELECT appliance, agent FROM appliance_leases WHERE agent IS NOT NULL AND expires > now()')
    ).rows;
    return new Map(rows.map((r) => [r.appliance, r.agent]));
  }
}
