/**
 * A failover pair as an operator would run it, for the integration tests, the failover bench and
 * `fulcrum demo`: three real HTTP backends, two `fulcrum sim start` processes in one group on
 * 127.0.0.1 sharing one VIP port, each with a console (behind a stable link, so a member started
 * again after a kill keeps its console path), their UDP heartbeats through relays (so a test can
 * cut the network path) and a serial failover cable made of two PTY pairs joined here (so it can
 * cut the cable too). Plus the clients: a probe opening a new TCP connection every 10 ms through
 * the VIP, and sticky clients, each from its own loopback source address.
 *
 * Every member runs in its own process so that it can be SIGKILLed like a box losing power.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startHttpBackends, type HttpBackend } from '../../sim/backends/http-backend.js';
import { LossyUdpRelay } from '../../sim/faults/lossy-udp-relay.js';
import { freePort } from '../../sim/free-port.js';
import { linkDevice } from '../../sim/serial/device-link.js';
import { openPtyPair, type PtyPair } from '../../sim/serial/pty.js';
import { getOnce } from '../../sim/traffic/http-load.js';

/** The repository (or installed package) root: where bin/fulcrum.js is, whether this runs from sources, dist/ or the bundle. */
function packageRoot(): string {
  let dir = path.dirname(new URL(import.meta.url).pathname);
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'bin', 'fulcrum.js'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('no package root with bin/fulcrum.js above this module');
    dir = parent;
  }
  return dir;
}

export interface MemberEvent {
  type: string;
  [field: string]: unknown;
}

export interface ReadyLine {
  name: string;
  serial: string;
  group: { name: string; unit: number; state: string };
  /** The SNMP agent's address, when the member runs one (`extraArgs` with --snmp). */
  snmp?: string | null;
}

/** One `sim start` member: its ready line and every JSON event it printed since. */
export class Member {
  readonly events: MemberEvent[] = [];
  /** When each of `events` arrived here (performance.now() ms): the events carry no time of their own. */
  readonly seenAt: number[] = [];
  private readonly waiting = new Set<() => void>();
  private stderr = '';
  exited = false;

  private constructor(
    readonly unit: number,
    readonly child: ChildProcessWithoutNullStreams,
    readonly ready: ReadyLine,
  ) {}

  static async spawn(unit: number, args: string[]): Promise<Member> {
    const root = packageRoot();
    const child = spawn(process.execPath, [path.join(root, 'bin/fulcrum.js'), ...args], {
      cwd: root,
      env: { ...process.env, FULCRUM_LOG: 'warn' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`member ${unit} exited with ${code} before it was ready: ${stderr}`)));
    });
    const member = new Member(unit, child, JSON.parse(first) as ReadyLine);
    member.stderr = stderr;
    child.stderr.on('data', (d: Buffer) => (member.stderr += d.toString()));
    lines.on('line', (l) => {
      member.events.push(JSON.parse(l) as MemberEvent);
      member.seenAt.push(performance.now());
      for (const w of member.waiting) w();
    });
    child.once('exit', () => {
      member.exited = true;
      for (const w of member.waiting) w();
    });
    return member;
  }

  /** The member's state by its last state change (standby until it printed one). */
  get state(): string {
    const last = this.events.filter((e) => e.type === 'failover').at(-1);
    return (last?.to as string | undefined) ?? this.ready.group.state;
  }

  /** Resolves with the first event from index `from` on that matches; rejects after `timeoutMs` or if the process exits. */
  waitFor(match: (e: MemberEvent) => boolean, timeoutMs = 15_000, from = 0): Promise<MemberEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(check);
        reject(new Error(`member ${this.unit}: no matching event within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`));
      }, timeoutMs);
      const check = () => {
        const found = this.events.slice(from).find(match);
        if (found || this.exited) {
          clearTimeout(timer);
          this.waiting.delete(check);
          if (found) resolve(found);
          else reject(new Error(`member ${this.unit} exited; stderr: ${this.stderr}`));
        }
      };
      this.waiting.add(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}

/** A serial failover cable: two PTY pairs whose masters this process joins, so it can cut them. */
class Cable {
  cut = false;

  private constructor(private readonly ends: [PtyPair, PtyPair]) {
    const [a, b] = ends;
    a.onData((bytes) => (this.cut ? undefined : b.write(bytes)));
    b.onData((bytes) => (this.cut ? undefined : a.write(bytes)));
    for (const end of ends) {
      end.onFull(() => end.discardPending());
      end.onError(() => undefined);
    }
  }

  static async open(pathA: string, pathB: string): Promise<Cable> {
    const a = await openPtyPair();
    const b = await openPtyPair();
    linkDevice(pathA, a.path);
    linkDevice(pathB, b.path);
    return new Cable([a, b]);
  }

  async close(): Promise<void> {
    await Promise.all(this.ends.map((e) => e.close()));
  }
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface PairOptions {
  /** Heartbeat interval of both members (ms); the members' default when absent. */
  intervalMs?: number;
  serialCable?: boolean;
  /** More `sim start` flags for member `unit` (1 or 2), e.g. an SNMP agent. */
  extraArgs?: (unit: 1 | 2) => string[];
  /** The group's name, also the prefix of the members' names (NAME-1, NAME-2); default `pair`. Several pairs on one host need distinct names. */
  group?: string;
  /** `--no-preempt` when false: a member that comes back does not take the active role from a working active. */
  preempt?: boolean;
}

/** The sticky service's name and the priorities: unit 1 (200) is the primary, unit 2 (100) the secondary. */
export const PRIORITIES = [200, 100] as const;

export class FailoverPair {
  private constructor(
    readonly dir: string,
    readonly vip: number,
    readonly backends: HttpBackend[],
    readonly members: [Member, Member],
    private readonly relays: [LossyUdpRelay, LossyUdpRelay],
    private readonly cable: Cable | null,
    private readonly args: (i: 0 | 1) => string[],
    /** The group's name; the members are NAME-1 and NAME-2. */
    readonly group: string,
  ) {}

  static async start(options: PairOptions = {}): Promise<FailoverPair> {
    const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-pair-'));
    const backends = await startHttpBackends(3);
    const vip = await freePort();
    const rules = path.join(dir, 'rules.yaml');
    // Round robin: a client that lands on its old backend after the failover was kept there, not hashed there again.
    writeFileSync(
      rules,
      `services:
  - name: web
    listen: 127.0.0.1:${vip}
    algorithm: round-robin
    persistence: { type: source-ip, timeout: 300s }
    backends:
${backends.map((b) => `      - { address: ${b.address} }`).join('\n')}
`,
    );
    const key = path.join(dir, 'group.key');
    writeFileSync(key, 'a shared secret of the pair, 32+ bytes\n', { mode: 0o600 });
    const heartbeat = [await freeUdpPort(), await freeUdpPort()];
    // Member 1 sends to relay 0, which forwards to member 2's heartbeat port, and the other way round.
    const relays: [LossyUdpRelay, LossyUdpRelay] = [
      new LossyUdpRelay({ host: '127.0.0.1', port: heartbeat[1]! }, 0),
      new LossyUdpRelay({ host: '127.0.0.1', port: heartbeat[0]! }, 0),
    ];
    const via = [await relays[0].start(), await relays[1].start()];
    const cablePaths = [path.join(dir, 'cable-1'), path.join(dir, 'cable-2')];
    const cable = options.serialCable === false ? null : await Cable.open(cablePaths[0]!, cablePaths[1]!);
    const group = options.group ?? 'pair';
    const args = (i: 0 | 1) => [
      'sim',
      'start',
      '--rules',
      rules,
      '--name',
      `${group}-${i + 1}`,
      '--json',
      '--serial',
      '--serial-link',
      path.join(dir, `console-${i + 1}`),
      '--group',
      group,
      '--unit',
      String(i + 1),
      '--priority',
      String(PRIORITIES[i]),
      '--heartbeat',
      `127.0.0.1:${heartbeat[i]}`,
      '--peer',
      via[i]!,
      '--group-key',
      key,
      ...(cable ? ['--failover-link', cablePaths[i]!] : []),
      ...(options.intervalMs ? ['--heartbeat-interval', String(options.intervalMs)] : []),
      ...(options.preempt === false ? ['--no-preempt'] : []),
      ...(options.extraArgs?.((i + 1) as 1 | 2) ?? []),
    ];
    const members: [Member, Member] = [await Member.spawn(1, args(0)), await Member.spawn(2, args(1))];
    return new FailoverPair(dir, vip, backends, members, relays, cable, args, group);
  }

  /** Member `unit`'s console as a target; the path is a link that stays valid when the member is started again. */
  console(unit: 1 | 2): string {
    return `serial:${path.join(this.dir, `console-${unit}`)}`;
  }

  /** Starts member `unit` (1 or 2) again with the flags it first had, after it exited (a kill); it rejoins the group. */
  async restart(unit: 1 | 2): Promise<Member> {
    const i = (unit - 1) as 0 | 1;
    if (!this.members[i].exited) throw new Error(`member ${unit} of ${this.group} is still running`);
    this.members[i] = await Member.spawn(unit, this.args(i));
    return this.members[i];
  }

  /** Cut (or restore) the UDP heartbeat path, both ways. */
  cutUdp(cut: boolean): void {
    for (const r of this.relays) r.loss = cut ? 1 : 0;
  }

  cutSerial(cut: boolean): void {
    if (!this.cable) throw new Error('this pair has no serial cable');
    this.cable.cut = cut;
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill('SIGTERM')));
    for (const r of this.relays) r.close();
    await this.cable?.close();
    await Promise.all(this.backends.map((b) => b.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One HTTP request on a new connection through the VIP, from `localAddress`; resolves with the backend's name. */
export function request(port: number, localAddress = '127.0.0.1', timeoutMs = 1_000): Promise<string> {
  return getOnce('127.0.0.1', port, timeoutMs, localAddress);
}

/** One probe connection: when it started and ended (performance.now() ms), and whether it was served. */
export interface Attempt {
  startedAt: number;
  endedAt: number;
  ok: boolean;
}

/** A new TCP connection through the VIP every `everyMs`, whatever became of the previous ones. */
export function probe(port: number, everyMs = 10): { attempts: Attempt[]; stop: () => Promise<Attempt[]> } {
  const attempts: Attempt[] = [];
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const startedAt = performance.now();
    const p = request(port).then(
      () => void attempts.push({ startedAt, endedAt: performance.now(), ok: true }),
      () => void attempts.push({ startedAt, endedAt: performance.now(), ok: false }),
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }, everyMs);
  return {
    attempts,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
      return attempts.sort((a, b) => a.startedAt - b.startedAt);
    },
  };
}

/** The outage around `at`: last success that ended before it to first success that began after it, and the failures between. */
export function outage(attempts: readonly Attempt[], at: number): { unavailableMs: number; failed: number } | null {
  const lastBefore = Math.max(...attempts.filter((a) => a.ok && a.endedAt <= at).map((a) => a.endedAt));
  const after = attempts.filter((a) => a.ok && a.startedAt >= at);
  if (!Number.isFinite(lastBefore) || after.length === 0) return null;
  const firstAfter = Math.min(...after.map((a) => a.endedAt));
  // A connection the kill cut mid-request fails too: count by when each failure was seen.
  const failed = attempts.filter((a) => !a.ok && a.endedAt >= lastBefore && a.endedAt <= firstAfter).length;
  return { unavailableMs: firstAfter - lastBefore, failed };
}

/** Sticky clients: 127.0.1.1, 127.0.1.2, … (all of 127/8 is loopback on Linux), one source address each. */
export function stickyAddresses(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
}
