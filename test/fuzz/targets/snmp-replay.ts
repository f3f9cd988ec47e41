/**
 * Fuzzes the simulator's SNMPv3 agent (real UDP, net-snmp's USM, sim/snmp/replay-guard.ts) with
 * sequences of authPriv SETs of a backend weight: sent fresh, captured and replayed later,
 * reordered and duplicated, forged for another engine id, older or newer boots, or a time
 * outside the window — between random jumps of the agent's clock and restarts of its engine on
 * the same storage (boots + 1). Every message is genuine: encrypted and authenticated with the
 * user's keys, for whatever engine id, boots and time it names. Promised, per message, against
 * RFC 3414 (section 3.2 steps 3 and 7a) worked out here from the agent's engine id, boots and
 * time at the moment it arrives: a message for another engine, other boots or more than 150 s
 * away is answered with the matching usmStats report, counted once, and changes nothing (the
 * running config id and the weight stay); one within the window is applied.
 */

import fc from 'fast-check';
import snmp from 'net-snmp';
import { fulcrumBackendWeight } from '../../../src/protocol/mib/fulcrum-mib.js';
import { formatOid } from '../../../src/protocol/mib/oid.js';
import { loadRules } from '../../../src/rules/index.js';
import { MemoryStorage } from '../../../sim/ports/state-dir.js';
import { engineIdFor, SnmpAgent } from '../../../sim/snmp/snmp-agent.js';
import { TIME_WINDOW_S } from '../../../sim/snmp/timeliness.js';
import { FakeClock } from '../../support/fake-clock.js';
import { exchange, PduTag, readV3 } from '../../support/snmp-wire.js';
import { ensure, target } from '../target.js';
import { bootAppliance } from './boot-appliance.js';

const WEIGHT = `${formatOid(fulcrumBackendWeight)}.1.2`;
const REPORT_OID = { notInTimeWindow: '1.3.6.1.6.3.15.1.1.2.0', unknownEngineId: '1.3.6.1.6.3.15.1.1.4.0' } as const;
const USER = { name: 'ops', authKey: 'authpass-123', privKey: 'privpass-456' };
const NET_SNMP_USER: snmp.User = {
  name: USER.name,
  level: snmp.SecurityLevel.authPriv,
  authProtocol: snmp.AuthProtocols.sha,
  authKey: USER.authKey,
  privProtocol: snmp.PrivProtocols.aes,
  privKey: USER.privKey,
};
const RULES = loadRules(
  'services:\n  - name: web\n    listen: 10.0.0.1:80\n    backends:\n      - { address: 10.0.0.2:80 }\n      - { address: 10.0.0.3:80 }\n',
  'replay.yaml',
);

interface Sent {
  engineId: string;
  boots: number;
  time: number;
  weight: number;
  datagram: Buffer;
}

/**
 * The datagram net-snmp's own manager sends for this SET, naming this engine id, boots and
 * time: its session is given them as if it had discovered them, and a socket that only records.
 */
function craft(engineId: string, boots: number, time: number, weight: number): Sent {
  const out: Buffer[] = [];
  const socket = { unref: () => socket, on: () => socket, close: () => undefined, send: (b: Buffer) => void out.push(Buffer.from(b)) };
  const session = snmp.createV3Session('127.0.0.1', NET_SNMP_USER, { version: snmp.Version3, port: 161, dgramModule: { createSocket: () => socket } });
  (session as unknown as { msgSecurityParameters: object }).msgSecurityParameters = {
    msgAuthoritativeEngineID: Buffer.from(engineId, 'hex'),
    msgAuthoritativeEngineBoots: boots,
    msgAuthoritativeEngineTime: time,
  };
  session.set([{ oid: WEIGHT, type: snmp.ObjectType.Gauge32, value: weight }], () => undefined);
  session.close();
  ensure(out.length === 1, () => `net-snmp sent ${out.length} datagrams for one SET`);
  return { engineId, boots, time, weight, datagram: out[0]! };
}

/** A time more than the window away; a past one only if it stays ≥ 0 (net-snmp encodes no negative time), else a future one. */
function outside(time: number, how: 'past' | 'future', by: number): number {
  const away = TIME_WINDOW_S + 1 + (by % 10_000);
  return how === 'past' && time >= away ? time - away : time + away;
}

const weight = fc.integer({ min: 1, max: 1_000 });
const op = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('fresh' as const), weight, skew: fc.integer({ min: -TIME_WINDOW_S, max: TIME_WINDOW_S }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('capture' as const), weight, skew: fc.integer({ min: -TIME_WINDOW_S, max: TIME_WINDOW_S }) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('replay' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('forge' as const),
      how: fc.constantFrom('foreign' as const, 'older-boots' as const, 'newer-boots' as const, 'past' as const, 'future' as const),
      weight,
      by: fc.nat({ max: 100_000 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('jump' as const),
      seconds: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom(149, 150, 151, 152, 300, 86_400), fc.integer({ min: 0, max: 5_000 })),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'restart' as const }) },
);

export default target({
  name: 'snmp-replay',
  what: "the simulator's SNMPv3 agent over UDP with authPriv SETs sent, captured, replayed, reordered, duplicated and forged (other engine id, boots, time) between clock jumps and engine restarts: outside RFC 3414's window or for another engine never applied (config id unchanged, a counted usmStats report); within it applied",
  arbitrary: fc.array(op, { minLength: 2, maxLength: 10 }),
  async: true,
  check: async (ops) => {
    const clock = new FakeClock();
    const storage = new MemoryStorage();
    const appliance = await bootAppliance(clock, RULES);
    const start = () => SnmpAgent.start(appliance, { host: '127.0.0.1', port: 0, v3User: { ...USER, write: true }, clock, storage, sysName: 'fuzz' });
    let agent = await start();
    const pool: Sent[] = [];
    const weightNow = () => appliance.rules.services[0]!.backends[1]!.weight;
    const send = async (m: Sent, what: string) => {
      const engine = agent.engine;
      // RFC 3414 3.2: step 3, then step 7a, with the agent's clock as it is when the message arrives.
      const verdict =
        m.engineId !== engine.engineId
          ? 'unknownEngineId'
          : m.boots !== engine.boots || Math.abs(m.time - engine.time) > TIME_WINDOW_S
            ? 'notInTimeWindow'
            : 'ok';
      const before = { id: appliance.configId, weight: weightNow(), stats: engine.stats };
      const where = () =>
        `${what} (engine ${m.engineId.slice(0, 12)}…, boots ${m.boots}, time ${m.time}; the agent's boots ${engine.boots}, time ${engine.time})`;
      const answer = await exchange(m.datagram, agent.port, 3_000);
      ensure(answer !== null, () => `${where()}: no answer`);
      const reply = readV3(answer);
      if (verdict === 'ok') {
        ensure(
          reply.pduType === null,
          () => `${where()}: within the window, answered with PDU ${reply.pduType?.toString(16)} ${JSON.stringify(reply.varbinds)}`,
        );
        ensure(weightNow() === m.weight, () => `${where()}: within the window, weight ${m.weight} not applied (weight ${weightNow()})`);
        return ensure(JSON.stringify(engine.stats) === JSON.stringify(before.stats), () => `${where()}: applied, yet counted as refused`);
      }
      ensure(
        reply.pduType === PduTag.report && reply.varbinds[0]?.oid === REPORT_OID[verdict],
        () => `${where()}: expected a ${verdict} report, got ${JSON.stringify(reply)}`,
      );
      ensure(
        appliance.configId === before.id && weightNow() === before.weight,
        () => `${where()}: refused (${verdict}) but applied: weight ${before.weight} → ${weightNow()}`,
      );
      ensure(
        reply.engineId === engine.engineId && reply.engineBoots === engine.boots,
        () => `${where()}: the report names engine ${reply.engineId}, boots ${reply.engineBoots}`,
      );
      const key = verdict === 'unknownEngineId' ? 'unknownEngineIds' : 'notInTimeWindows';
      ensure(engine.stats[key] === before.stats[key] + 1, () => `${where()}: ${key} went ${before.stats[key]} → ${engine.stats[key]}`);
    };
    try {
      for (const [i, o] of ops.entries()) {
        const e = agent.engine;
        const what = `op ${i} ${o.op}`;
        if (o.op === 'fresh' || o.op === 'capture') {
          const m = craft(e.engineId, e.boots, Math.max(0, e.time + o.skew), o.weight);
          pool.push(m);
          if (o.op === 'fresh') await send(m, what);
        } else if (o.op === 'replay') {
          if (pool.length > 0) await send(pool[o.pick % pool.length]!, `${what} of message ${o.pick % pool.length}`);
        } else if (o.op === 'forge') {
          const m =
            o.how === 'foreign'
              ? craft(engineIdFor(`OTHER-${o.by}`), e.boots, e.time, o.weight)
              : o.how === 'older-boots'
                ? craft(e.engineId, e.boots - 1 - (o.by % e.boots), e.time, o.weight)
                : o.how === 'newer-boots'
                  ? craft(e.engineId, e.boots + 1 + (o.by % 1_000), e.time, o.weight)
                  : craft(e.engineId, e.boots, outside(e.time, o.how, o.by), o.weight);
          pool.push(m);
          await send(m, `${what} (${o.how})`);
        } else if (o.op === 'jump') {
          await clock.advance(o.seconds * 1_000);
        } else {
          await agent.stop();
          agent = await start();
        }
      }
    } finally {
      await agent.stop();
      appliance.stop();
    }
  },
});
