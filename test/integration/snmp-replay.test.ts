/**
 * SNMPv3 replay protection of the simulator's agent (RFC 3414 timeliness). An authPriv SET
 * (a backend weight change) is captured on the wire by a UDP relay, then the captured datagram is
 * replayed (a) after the 150 s time window — the agent's clock is moved, nothing sleeps —, (b)
 * after a restart of the appliance on the same state directory and (c) to another appliance with
 * the same credentials. Each replay gets a report carrying the agent's own engine id, boots and
 * time, and changes nothing; a fresh SET from a real client still works after each step.
 *
 * The SETs come from Debian's snmpset when it is installed, else from the project's driver
 * session (net-snmp), which then also stands in for the fresh requests.
 */

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnmpSession } from '../../drivers/snmp/session.js';
import type { ApplianceEvent } from '../../firmware/appliance.js';
import type { Cancel, Clock } from '../../firmware/ports.js';
import { nodeClock } from '../../sim/ports/node-clock.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { ENGINE_FILE } from '../../sim/snmp/snmp-engine.js';
import { fulcrumBackendWeight } from '../../src/protocol/mib/fulcrum-mib.js';
import { formatOid } from '../../src/protocol/mib/oid.js';
import { SmiType } from '../../src/protocol/mib/smi.js';
import type { RuleTable } from '../../src/protocol/rules/model.js';
import { loadRules } from '../../src/rules/index.js';
import { V3_ARGS, V3_USER, has, run } from '../support/debian-snmp.js';
import { PduTag, exchange, readV3, startRelay, type V3Message } from '../support/snmp-wire.js';

const WEIGHT = `${formatOid(fulcrumBackendWeight)}.1.2`;
const USM_NOT_IN_TIME_WINDOWS = '1.3.6.1.6.3.15.1.1.2.0';
const USM_UNKNOWN_ENGINE_IDS = '1.3.6.1.6.3.15.1.1.4.0';
const SNMP_ENGINE_ID = '1.3.6.1.6.3.10.2.1.1.0';
const SNMP_ENGINE_BOOTS = '1.3.6.1.6.3.10.2.1.2.0';
const SNMP_ENGINE_TIME = '1.3.6.1.6.3.10.2.1.3.0';
const CREDENTIALS = { version: '3' as const, user: V3_USER.name, authKey: V3_USER.authKey, privKey: V3_USER.privKey };
const DEBIAN = has('snmpset');

/** The SNMP agent's clock: real time plus what the test skipped, so a window can be crossed at once. */
class SkippingClock implements Clock {
  private skipped = 0;
  now(): number {
    return nodeClock.now() + this.skipped;
  }
  epochMs(): number {
    return nodeClock.epochMs() + this.skipped;
  }
  after(ms: number, fn: () => void): Cancel {
    return nodeClock.after(ms, fn);
  }
  skip(ms: number): void {
    this.skipped += ms;
  }
}

const rules: RuleTable = loadRules(
  `services:
  - name: web
    listen: 127.0.0.1:18090
    backends:
      - { address: 10.0.0.1:80 }
      - { address: 10.0.0.2:80 }
`,
  'replay.yaml',
);

const weightOf = (sim: SimulatedAppliance) => sim.appliance.rules.services[0]!.backends[1]!.weight;

/** A fresh SET of the weight by a real client (a new process or session: it discovers the engine first). */
async function freshSet(port: number, weight: number): Promise<void> {
  if (DEBIAN) {
    const r = await run('snmpset', [...V3_ARGS, '-t', '1', '-r', '2', `127.0.0.1:${port}`, WEIGHT, 'u', String(weight)]);
    expect(r.code, r.stderr).toBe(0);
    return;
  }
  const session = new SnmpSession({ host: '127.0.0.1', port }, CREDENTIALS, { timeoutMs: 1_000, retries: 2 });
  try {
    await session.set([{ oid: WEIGHT, type: SmiType.Gauge32, value: weight }]);
  } finally {
    session.close();
  }
}

/** The agent's answer to a replay must be a report of `counter` (an encrypted response would mean it was processed). */
function expectReport(answer: Buffer | null, counter: string): V3Message {
  expect(answer, 'the agent answers a replay with a report').not.toBeNull();
  const m = readV3(answer!);
  expect(m.pduType, 'a report, not an (encrypted) response').toBe(PduTag.report);
  expect(m.varbinds.map((v) => v.oid)).toEqual([counter]);
  return m;
}

describe('SNMPv3 replay of a captured authPriv SET', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'fulcrum-replay-'));
  const dirA = path.join(root, 'a');
  const clockA = new SkippingClock();
  let a: SimulatedAppliance;
  let b: SimulatedAppliance;
  let port = 0;
  let engineA = '';
  let captured: Buffer;
  const commits: { box: string; e: ApplianceEvent }[] = [];
  const start = (name: string, dir: string, clock: Clock, snmpPort = 0) =>
    SimulatedAppliance.start({
      name,
      rules,
      stateDir: dir,
      listen: false,
      snmp: { host: '127.0.0.1', port: snmpPort, v3User: { ...V3_USER, write: true }, clock },
    });
  const watch = (sim: SimulatedAppliance) => sim.onEvent((e) => void (e.type === 'commit' && commits.push({ box: sim.name, e })));

  beforeAll(async () => {
    a = await start('a', dirA, clockA);
    b = await start('b', path.join(root, 'b'), new SkippingClock());
    watch(a);
    watch(b);
    port = a.snmpAgent!.port;
    engineA = a.snmpAgent!.engineId;
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('a relay captures the SET on the wire: authPriv, naming appliance a’s engine', async () => {
    const relay = await startRelay(port);
    try {
      await freshSet(relay.port, 7);
    } finally {
      await relay.close();
    }
    expect(weightOf(a)).toBe(7);
    const sets = relay.sent.filter((d) => (readV3(d).flags & 3) === 3);
    expect(sets.length).toBeGreaterThan(0);
    captured = sets.at(-1)!;
    const header = readV3(captured);
    expect(header.engineId).toBe(engineA);
    expect(header.pduType).toBeNull();
    // From now on a replay that took effect would show: the weight would go back to 7.
    await freshSet(port, 3);
    expect(weightOf(a)).toBe(3);
  });

  it('(a) replayed after the time window (151 s, then 402 s): a notInTimeWindow report, nothing applied', async () => {
    let skipped = 0;
    for (const at of [151, 402]) {
      clockA.skip(at * 1000 - skipped);
      skipped = at * 1000;
      const before = commits.length;
      const answer = await exchange(captured, port);
      expect(weightOf(a)).toBe(3);
      expect(commits.length).toBe(before);
      const report = expectReport(answer, USM_NOT_IN_TIME_WINDOWS);
      // The report says where the agent's clock is, authenticated, so a client resynchronises.
      expect(report).toMatchObject({ engineId: engineA, engineBoots: 1, userName: V3_USER.name });
      expect(report.flags & 1).toBe(1);
      expect(report.engineTime).toBeGreaterThanOrEqual(at);
      expect(report.engineTime).toBeLessThan(at + 30);
      // It names the counter with its value (usmStatsNotInTimeWindows.0), counted once per refusal.
      expect(report.varbinds[0]!.value).toBe(a.snmpAgent!.engine.stats.notInTimeWindows);
    }
    await freshSet(port, 4);
    expect(weightOf(a)).toBe(4);
  });

  it('(b) replayed after a restart on the same state directory: boots moved on, a notInTimeWindow report, nothing applied', async () => {
    await a.stop();
    a = await start('a', dirA, new SkippingClock(), port);
    watch(a);
    expect(a.snmpAgent!.engineId).toBe(engineA);
    const before = commits.length;
    const answer = await exchange(captured, port);
    expect(weightOf(a)).toBe(4);
    expect(commits.length).toBe(before);
    const report = expectReport(answer, USM_NOT_IN_TIME_WINDOWS);
    expect(report).toMatchObject({ engineId: engineA, engineBoots: 2 });
    expect(report.flags & 1).toBe(1);
    // snmpEngineBoots is in the state directory, replaced whole (no temporary file left behind).
    expect(JSON.parse(readFileSync(path.join(dirA, ENGINE_FILE), 'utf8'))).toMatchObject({ engineBoots: 2 });
    expect(readdirSync(dirA).filter((f) => f.includes('.tmp'))).toEqual([]);
    await freshSet(port, 5);
    expect(weightOf(a)).toBe(5);
  });

  it('(c) replayed to another appliance with the same credentials: an unknownEngineID report with its own engine id, nothing applied', async () => {
    const engineB = b.snmpAgent!.engineId;
    expect(engineB).not.toBe(engineA);
    const before = commits.length;
    const answer = await exchange(captured, b.snmpAgent!.port);
    expect(weightOf(b)).toBe(1);
    expect(commits.length).toBe(before);
    const report = expectReport(answer, USM_UNKNOWN_ENGINE_IDS);
    expect(report).toMatchObject({ engineId: engineB, engineBoots: 1 });
    expect(report.varbinds[0]!.value).toBe(1);
    expect(b.snmpAgent!.engine.stats.unknownEngineIds).toBe(1);
    await freshSet(b.snmpAgent!.port, 6);
    expect(weightOf(b)).toBe(6);
    // The fresh client's discovery (section 4) is an unknownEngineID refusal too, counted as one.
    expect(b.snmpAgent!.engine.stats.unknownEngineIds).toBeGreaterThan(1);
  });

  it.skipIf(!DEBIAN)('Debian snmpset told a stale engine time (-e ID -Z 1,0) resynchronises from the authenticated report', async () => {
    const before = commits.length;
    const refused = a.snmpAgent!.engine.stats.notInTimeWindows;
    const r = await run('snmpset', [...V3_ARGS, '-e', `0x${engineA}`, '-Z', '1,0', '-t', '1', '-r', '2', `127.0.0.1:${port}`, WEIGHT, 'u', '12']);
    expect(r.code, r.stderr).toBe(0);
    expect(a.snmpAgent!.engine.stats.notInTimeWindows).toBe(refused + 1);
    expect(weightOf(a)).toBe(12);
    expect(commits.length).toBe(before + 1);
  });

  it('the driver’s long-lived session resynchronises across the window and a reboot; the engine objects and counters read back', async () => {
    const session = new SnmpSession({ host: '127.0.0.1', port }, CREDENTIALS, { timeoutMs: 1_000, retries: 1 });
    try {
      await session.set([{ oid: WEIGHT, type: SmiType.Gauge32, value: 8 }]);
      expect(weightOf(a)).toBe(8);
      const clock = new SkippingClock();
      await a.stop();
      a = await start('a', dirA, clock, port);
      // Each time, the session's first try is refused and its retry, resynchronised, applied.
      await session.set([{ oid: WEIGHT, type: SmiType.Gauge32, value: 9 }]);
      expect(weightOf(a)).toBe(9);
      expect(a.snmpAgent!.engine.stats.notInTimeWindows).toBe(1);
      clock.skip(600_000);
      await session.set([{ oid: WEIGHT, type: SmiType.Gauge32, value: 10 }]);
      expect(weightOf(a)).toBe(10);
      expect(a.snmpAgent!.engine.stats.notInTimeWindows).toBe(2);
      await a.reboot();
      await session.set([{ oid: WEIGHT, type: SmiType.Gauge32, value: 11 }]);
      expect(weightOf(a)).toBe(11);
      expect(a.snmpAgent!.engine.stats.notInTimeWindows).toBe(1);

      const before = await session.get([USM_NOT_IN_TIME_WINDOWS]);
      expectReport(await exchange(captured, port), USM_NOT_IN_TIME_WINDOWS);
      expect(weightOf(a)).toBe(11);
      const [id, boots, time, notInTime, unknownIds] = await session.get([
        SNMP_ENGINE_ID,
        SNMP_ENGINE_BOOTS,
        SNMP_ENGINE_TIME,
        USM_NOT_IN_TIME_WINDOWS,
        USM_UNKNOWN_ENGINE_IDS,
      ]);
      expect(Buffer.from(id!.value as Uint8Array).toString('hex')).toBe(engineA);
      expect(boots!.value).toBe(4);
      expect(time!.value).toBeGreaterThanOrEqual(0);
      expect(time!.value).toBeLessThan(30);
      expect(notInTime!.value).toBe((before[0]!.value as number) + 1);
      expect(unknownIds!.type).toBe(SmiType.Counter32);
    } finally {
      session.close();
    }
  });

  it.skipIf(!has('snmpget'))('Debian snmpget reads the snmpEngine group and the USM counters', async () => {
    const r = await run('snmpget', [
      ...V3_ARGS,
      '-On',
      `127.0.0.1:${port}`,
      SNMP_ENGINE_ID,
      SNMP_ENGINE_BOOTS,
      SNMP_ENGINE_TIME,
      USM_NOT_IN_TIME_WINDOWS,
      USM_UNKNOWN_ENGINE_IDS,
    ]);
    expect(r.code, r.stderr).toBe(0);
    // One variable per entry (Net-SNMP wraps a long Hex-STRING onto the next line).
    const lines = r.stdout
      .trim()
      .split(/\n(?=\.)/)
      .map((l) => l.replace(/\s+/g, ' ').trim());
    expect(lines[0]).toBe(`.${SNMP_ENGINE_ID} = Hex-STRING: ${engineA.toUpperCase().replace(/(..)(?!$)/g, '$1 ')}`);
    expect(lines[1]).toBe(`.${SNMP_ENGINE_BOOTS} = INTEGER: 4`);
    expect(lines[2]).toMatch(new RegExp(`^\\.${SNMP_ENGINE_TIME} = INTEGER: \\d+`));
    expect(lines[3]).toMatch(new RegExp(`^\\.${USM_NOT_IN_TIME_WINDOWS} = Counter32: [1-9]\\d*$`));
    expect(lines[4]).toMatch(new RegExp(`^\\.${USM_UNKNOWN_ENGINE_IDS} = Counter32: [1-9]\\d*$`));
  });
});
