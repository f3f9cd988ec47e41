/** Pieces of `fulcrum demo`: traffic helpers and the summary, kept apart from the story itself. */
import dgram from 'node:dgram';
import type { CountersSnapshot } from '../../protocol/counters.js';
import { httpLoad, type LoadResult } from '../../../sim/traffic/http-load.js';
import { table } from '../output.js';

export const say = (text: string) => process.stdout.write(`${text}\n`);
export const split = (r: Pick<LoadResult, 'byBackend'>) =>
  [...r.byBackend]
    .sort()
    .map(([b, n]) => `${b} ${n}`)
    .join(', ');

/** `clients` UDP sockets each sending `perClient` queries; how many were answered. */
export async function udpExchange(port: number, clients: number, perClient: number): Promise<{ sent: number; answered: number }> {
  let answered = 0;
  const sockets = await Promise.all(
    Array.from(
      { length: clients },
      () =>
        new Promise<dgram.Socket>((resolve) => {
          const s = dgram.createSocket('udp4');
          s.on('message', () => answered++);
          s.bind(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  for (let round = 0; round < perClient; round++) {
    for (const s of sockets) s.send(`query ${round}`, port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 200));
  for (const s of sockets) s.close();
  return { sent: clients * perClient, answered };
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Requests through each VIP at once; the answers per VIP. */
export async function trafficTo(vips: readonly number[], count: number): Promise<LoadResult[]> {
  return Promise.all(vips.map((port) => httpLoad('127.0.0.1', port, count, 8)));
}

export interface SummaryRow {
  name: string;
  transport: string;
  firmware: string;
  configId: string;
  connections: bigint;
  bytesIn: bigint;
  bytesOut: bigint;
  /** Series of this appliance in the agent's store. */
  series: number;
}

export function summaryRow(name: string, transport: string, firmware: string, configId: string, counters: CountersSnapshot, series: number): SummaryRow {
  const sum = (pick: (s: CountersSnapshot['services'][number]) => bigint) => counters.services.reduce((n, s) => n + pick(s), 0n);
  return {
    name,
    transport,
    firmware,
    configId,
    connections: sum((s) => s.connsTotal),
    bytesIn: sum((s) => s.bytesIn),
    bytesOut: sum((s) => s.bytesOut),
    series,
  };
}

export function summaryTable(rows: readonly SummaryRow[]): string {
  return table(
    ['appliance', 'managed over', 'firmware', 'config id', 'connections', 'bytes in', 'bytes out', 'series in store'],
    rows.map((r) => [r.name, r.transport, r.firmware, `${r.configId.slice(0, 12)}…`, r.connections, r.bytesIn, r.bytesOut, r.series]),
    [4, 5, 6, 7],
  );
}
