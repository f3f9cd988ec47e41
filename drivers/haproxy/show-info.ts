/**
 * `show info` → the fields the driver uses: program name and version, the worker's pid, uptime
 * and start time, and the node name. The answer is `Key: value` lines; keys HAProxy adds in
 * later versions are ignored, a missing key the driver needs is an error naming it.
 */

export interface ShowInfo {
  name: string;
  version: string;
  /** The worker's pid: changes on every reload. */
  pid: number;
  /** Seconds since this worker started (a reload starts a new one, with counters from zero). */
  uptimeSeconds: number;
  /** HAProxy's `node` setting, the host name unless the configuration sets it. */
  node: string;
}

export class ShowInfoError extends Error {
  override readonly name = 'ShowInfoError';
}

export function parseShowInfo(text: string): ShowInfo {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const need = (key: string): string => {
    const value = fields.get(key);
    if (value === undefined) throw new ShowInfoError(`"show info" has no "${key}" line`);
    return value;
  };
  const whole = (key: string): number => {
    const value = need(key);
    if (!/^[0-9]+$/.test(value)) throw new ShowInfoError(`"show info" gives ${key}: "${value}", not a whole number`);
    return Number(value);
  };
  return { name: need('Name'), version: need('Version'), pid: whole('Pid'), uptimeSeconds: whole('Uptime_sec'), node: need('node') };
}
