/**
 * Firmware upload over the console against the physical limit: image bytes delivered, verified,
 * per second of line time, at 115200 and 921600 baud and with bit errors.
 */
import { SerialDriver } from '../drivers/serial/serial-driver.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload } from '../src/protocol/image/image.js';
import { SimulatedAppliance } from '../sim/simulated-appliance.js';
import { result, type Result } from './lib/report.js';

export const title = 'Firmware upload: goodput against the line rate (8N1: baud ÷ 10 bytes/s)';
export const notes = [
  'Goodput = image bytes ÷ (seconds from fwBegin to the fwEnd answer, which comes after the appliance verified hash and signature × line bytes/s): framing, answers and resends count against it. Median of three uploads, each to a fresh simulated appliance (flash in RAM: the line is measured, not a disk).',
  'Images: 128 KiB at 115200 baud, 512 KiB at 921600. Bit errors are injected on the line each way.',
  'Peers cited, not run: ZMODEM about 90–94% of the line, YMODEM-G about 95%.',
];

const key = generateSigningKey();

async function upload(baud: number, size: number, ber: number): Promise<{ goodput: number; resends: number }> {
  const image = buildImage({ version: parseVersion('2.0.0'), securityCounter: 1, payload: simulatorPayload({ simulate: [], size }) }, key);
  const sim = await SimulatedAppliance.start({ name: 'bench', listen: false, trustKeys: [key.publicKey], serial: { baud, noiseBer: ber } });
  try {
    const driver = await SerialDriver.connect(`serial:${sim.line!.path}?baud=${baud}`);
    try {
      const started = performance.now();
      const r = await driver.uploadFirmware(image);
      const seconds = (performance.now() - started) / 1000;
      if (r.version !== '2.0.0' || r.resumedFrom !== 0) throw new Error('the upload did not land whole');
      return { goodput: image.length / (seconds * (baud / 10)), resends: driver.stats.retransmissions };
    } finally {
      await driver.close();
    }
  } finally {
    await sim.stop();
  }
}

async function median(baud: number, size: number, ber: number) {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await upload(baud, size, ber));
  runs.sort((a, b) => a.goodput - b.goodput);
  return runs[1]!;
}

export async function run(): Promise<Result[]> {
  const slow = await median(115_200, 128 * 1024, 0);
  const fast = await median(921_600, 512 * 1024, 0);
  const noisy = await median(115_200, 128 * 1024, 1e-5);
  const peer = { name: 'YMODEM-G (cited)', value: 95 };
  return [
    result({ name: 'firmware upload, 128 KiB at 115200 baud', value: slow.goodput * 100, unit: '% of line', better: 'higher', peer, goal: { value: 97 } }),
    result({ name: 'firmware upload, 512 KiB at 921600 baud', value: fast.goodput * 100, unit: '% of line', better: 'higher', peer, goal: { value: 97 } }),
    result({
      name: `firmware upload, 128 KiB at 115200, bit errors 1e-5 (${noisy.resends} resends)`,
      value: noisy.goodput * 100,
      unit: '% of line',
      better: 'higher',
      goal: { value: 90 },
    }),
  ];
}
