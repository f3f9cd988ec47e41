/**
 * The serial management channel against the physical limit: how much of the line's capacity
 * a push turns into rule-table bytes delivered, clean and with bit errors, and how few bytes a
 * one-weight change costs.
 */
import { SerialDriver } from '../drivers/serial/serial-driver.js';
import { configId, encodeRules } from '../src/protocol/rules/index.js';
import { SimulatedAppliance } from '../sim/simulated-appliance.js';
import { bigRules } from '../sim/fixtures/big-rules.js';
import { result, type Result } from './lib/report.js';

export const title = 'Serial channel: push goodput against the line rate (115200 baud, 8N1 = 11,520 B/s)';
export const notes = [
  'Each goodput figure is the median of three full pushes.',
  'Goodput = bytes of the canonical rule table ÷ (seconds from opening the port to the commit answer × 11,520 B/s): the handshake, framing, answers and commit all count against it.',
  'The simulator paces its PTY to the real 8N1 rate in both directions; bit errors are injected on the line each way.',
  'YMODEM-G (streaming, no retransmission) is cited at about 95% of the line; XMODEM-1K at 96–97% framing but stop-and-wait. Cited, not run.',
];

const BAUD = 115_200;
const LINE_BYTES_PER_S = BAUD / 10;

async function timedPush(
  ber: number,
  table: ReturnType<typeof bigRules>,
): Promise<{ goodput: number; seconds: number; bytes: number; retransmissions: number }> {
  const sim = await SimulatedAppliance.start({ name: 'bench', rules: bigRules(1), listen: false, serial: { baud: BAUD, noiseBer: ber } });
  try {
    const encoding = encodeRules(table);
    const started = performance.now();
    const driver = await SerialDriver.connect(`serial:${sim.line!.path}?baud=${BAUD}`);
    try {
      const r = await driver.push(encoding, { confirmTimeoutMs: 0 });
      const seconds = (performance.now() - started) / 1000;
      if (r.configId !== configId(table)) throw new Error('pushed table does not run');
      return { goodput: encoding.length / (seconds * LINE_BYTES_PER_S), seconds, bytes: r.bytes, retransmissions: driver.stats.retransmissions };
    } finally {
      await driver.close();
    }
  } finally {
    await sim.stop();
  }
}

async function medianPush(ber: number, table: ReturnType<typeof bigRules>) {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await timedPush(ber, table));
  runs.sort((a, b) => a.goodput - b.goodput);
  return runs[1]!;
}

async function deltaBytes(): Promise<number> {
  const before = bigRules(200);
  const after = bigRules(200, 3, (s, b) => (s === 117 && b === 1 ? 9 : 1));
  const sim = await SimulatedAppliance.start({ name: 'bench', rules: before, listen: false, serial: { baud: BAUD } });
  try {
    const base = encodeRules(before);
    const driver = await SerialDriver.connect(`serial:${sim.line!.path}?baud=${BAUD}`);
    try {
      const r = await driver.push(encodeRules(after), { confirmTimeoutMs: 0, baseFor: (id) => (id === configId(before) ? base : null) });
      if (r.mode !== 'delta') throw new Error('expected a delta push');
      return r.bytes;
    } finally {
      await driver.close();
    }
  } finally {
    await sim.stop();
  }
}

export async function run(): Promise<Result[]> {
  const table = bigRules(1000);
  const size = encodeRules(table).length;
  // Each figure is the median of three pushes: bit errors land differently every time.
  const clean = await medianPush(0, table);
  const noisy = await medianPush(1e-5, table);
  const delta = await deltaBytes();
  const ymodemG = 0.95;
  return [
    result({
      name: `full push, 1,000 services (${size} B), clean line`,
      value: clean.goodput * 100,
      unit: '% of line',
      better: 'higher',
      peer: { name: 'YMODEM-G (cited)', value: ymodemG * 100 },
      goal: { value: 97 },
    }),
    result({
      name: `full push, 1,000 services, bit errors 1e-5 (${noisy.retransmissions} resends)`,
      value: noisy.goodput * 100,
      unit: '% of line',
      better: 'higher',
      goal: { value: 90 },
    }),
    result({
      name: 'full push time, clean line',
      value: clean.seconds,
      unit: 's',
      better: 'lower',
      peer: { name: 'line rate limit', value: size / LINE_BYTES_PER_S },
    }),
    result({ name: 'delta push: one weight in 200 services, bytes on the line', value: delta, unit: 'B', better: 'lower', goal: { value: 128 } }),
  ];
}
