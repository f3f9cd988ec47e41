import Table from 'cli-table3';

/**
 * JSON for scripts: 64-bit counters are written as exact integers (JSON numbers have no
 * precision limit; JavaScript's do, so BigInts are spliced in as digits).
 */
export function toJson(value: unknown, indent?: number): string {
  // A marker no real string will contain, spliced out after stringify leaves it quoted.
  const marker = `~bigint${Math.random().toString(36).slice(2)}~`;
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${marker}${v.toString()}` : v), indent);
  return text.replace(new RegExp(`"${marker}(-?\\d+)"`, 'g'), '$1');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${toJson(value)}\n`);
}

export function table(head: string[], rows: (string | number | bigint)[][], alignRight: number[] = []): string {
  const t = new Table({
    head,
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, i) => (alignRight.includes(i) ? 'right' : 'left')),
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of rows) t.push(r.map((c) => String(c)));
  return t.toString();
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
export function formatBytes(n: bigint | number): string {
  let v = Number(n);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}
