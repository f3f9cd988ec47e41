/**
 * The console behind a real console server (Debian's ser2net in front of the simulator's PTY)
 * against the physical limit: a full 1,000-service push and a 256 KiB firmware upload at
 * 115200 baud, raw TCP and telnet RFC 2217, beside the same over the PTY directly in this run.
 * Skipped, with the reason printed, where ser2net is not installed.
 */
import { connectConsole } from '../drivers/console/connect.js';
import { SerialDriver } from '../drivers/serial/serial-driver.js';
import { configId, encodeRules } from '../src/protocol/rules/index.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload } from '../src/protocol/image/image.js';
import { bigRules } from '../sim/fixtures/big-rules.js';
import { hasSer2net, startSer2net } from '../sim/ser2net.js';
import { SimulatedAppliance } from '../sim/simulated-appliance.js';
import { result, type Result } from './lib/report.js';

export const title = 'Console server: goodput through ser2net against the line rate (115200 baud, 8N1 = 11,520 B/s)';
export const notes = [
  "Goodput = payload bytes (the canonical table, the image) ÷ (seconds from opening the connection to the commit answer or the verified upload's answer × 11,520 B/s); the telnet negotiation, handshake, framing and answers count against it.",
  'One run of each, against a fresh simulated appliance whose PTY is paced to the real 8N1 rate; ser2net 4.x opens the PTY as its serial device, with a raw TCP and a telnet(rfc2217) accepter.',
  'The direct figures are the same transfers over the PTY with no console server, in the same run.',
];

const BAUD = 115_200;
const LINE = BAUD / 10;
const key = generateSigningKey();

type Way = 'direct' | 'raw' | 'rfc2217';

async function measure(way: Way, work: (driver: SerialDriver) => Promise<number>): Promise<number> {
  const sim = await SimulatedAppliance.start({ name: 'bench', rules: bigRules(1), listen: false, trustKeys: [key.publicKey], serial: { baud: BAUD } });
  const ser2net = way === 'direct' ? null : await startSer2net(sim.line!.path, { baud: BAUD });
  try {
    const started = performance.now();
    const driver =
      way === 'direct'
        ? await SerialDriver.connect(`serial:${sim.line!.path}?baud=${BAUD}`)
        : await connectConsole(way === 'raw' ? `tcp://127.0.0.1:${ser2net!.rawPort}?baud=${BAUD}` : `telnet://127.0.0.1:${ser2net!.telnetPort}?baud=${BAUD}`);
    try {
      const bytes = await work(driver);
      return bytes / (((performance.now() - started) / 1000) * LINE);
    } finally {
      await driver.close();
    }
  } finally {
    await ser2net?.stop();
    await sim.stop();
  }
}

const table = bigRules(1000);
const encoding = encodeRules(table);
const image = buildImage({ version: parseVersion('2.0.0'), securityCounter: 1, payload: simulatorPayload({ simulate: [], size: 256 * 1024 - 512 }) }, key);

async function push(driver: SerialDriver): Promise<number> {
  const r = await driver.push(encoding, { confirmTimeoutMs: 0 });
  if (r.configId !== configId(table)) throw new Error('the pushed table does not run');
  return encoding.length;
}

async function upload(driver: SerialDriver): Promise<number> {
  const r = await driver.uploadFirmware(image);
  if (r.version !== '2.0.0' || r.resumedFrom !== 0) throw new Error('the upload did not land whole');
  return image.length;
}

export async function run(): Promise<Result[]> {
  if (!hasSer2net()) {
    console.log('skipped: ser2net is not installed (Debian: apt-get install ser2net)');
    return [];
  }
  const out: Result[] = [];
  for (const [what, work, size] of [
    ['full push, 1,000 services', push, `${encoding.length} B`],
    ['firmware upload', upload, `${Math.round(image.length / 1024)} KiB`],
  ] as const) {
    const direct = await measure('direct', work);
    for (const way of ['raw', 'rfc2217'] as const) {
      const goodput = await measure(way, work);
      out.push(
        result({
          name: `${what} (${size}) through ser2net, ${way === 'raw' ? 'raw TCP' : 'telnet RFC 2217'}`,
          value: goodput * 100,
          unit: '% of line',
          better: 'higher',
          peer: { name: 'direct PTY, this run', value: direct * 100 },
          goal: { value: 95 },
        }),
      );
    }
  }
  return out;
}
