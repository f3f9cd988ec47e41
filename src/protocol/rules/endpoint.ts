/**
 * Endpoints (`IPv4:port`, `[IPv6]:port`): parsing, one canonical spelling, and an order.
 *
 * IP literals only. A rule table is compared across machines by hash, so it must not depend on
 * what some resolver answered at load time; resolving names is the operator's tooling's job.
 * IPv4 octets with leading zeros (`010.0.0.1`) are refused rather than read as decimal, because
 * inet_aton and friends read them as octal and the same text would mean two addresses.
 */

import type { EndpointText } from './model.js';

export type AddressFamily = 4 | 6;

export interface Endpoint {
  /** The address in canonical text, without brackets. */
  host: string;
  port: number;
  family: AddressFamily;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

/** Loose on purpose: the schema only catches the shape; the parser explains what is wrong inside. */
export const ENDPOINT_PATTERN = '^(?:[0-9]{1,3}(?:\\.[0-9]{1,3}){3}|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}$';

const EXAMPLE = 'e.g. 10.0.0.1:80 or [2001:db8::1]:80';

type Result<T> = { ok: T } | { problem: string };

function parseIPv4(text: string): Result<Uint8Array> {
  const parts = text.split('.');
  if (parts.length !== 4) return { problem: `"${text}" is not an IPv4 address (expected four dot-separated numbers)` };
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!/^[0-9]{1,3}$/.test(part)) return { problem: `"${text}" is not an IPv4 address` };
    if (part.length > 1 && part.startsWith('0')) {
      return { problem: `"${text}": leading zero in "${part}" is ambiguous (octal to some tools); write ${Number(part)}` };
    }
    const value = Number(part);
    if (value > 255) return { problem: `"${text}": ${value} is not an octet (0..255)` };
    bytes[i] = value;
  }
  return { ok: bytes };
}

function parseIPv6(text: string): Result<Uint8Array> {
  const bad = (why: string): Result<Uint8Array> => ({ problem: `"${text}" is not an IPv6 address: ${why}` });
  if (text.includes('%')) return bad('zone ids (%eth0) are not supported');
  const halves = text.split('::');
  if (halves.length > 2) return bad('"::" may appear only once');
  const compressed = halves.length === 2;
  const lastHalf = halves.length - 1;
  const words: number[][] = [];
  for (const [h, half] of halves.entries()) {
    const list: number[] = [];
    const groups = half === '' ? [] : half.split(':');
    for (const [i, group] of groups.entries()) {
      // Only the very last group of the address may be a dotted quad (RFC 4291 §2.2).
      if (h === lastHalf && i === groups.length - 1 && group.includes('.')) {
        const v4 = parseIPv4(group);
        if ('problem' in v4) return bad(`bad embedded IPv4 part "${group}"`);
        const [a = 0, b = 0, c = 0, d = 0] = v4.ok;
        list.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(group)) {
        list.push(parseInt(group, 16));
      } else {
        return bad(group === '' ? 'empty group' : `bad group "${group}"`);
      }
    }
    words.push(list);
  }
  const head = words[0] ?? [];
  const tail = words[1] ?? [];
  const count = head.length + tail.length;
  if (compressed ? count > 7 : count !== 8) {
    return bad(compressed ? 'too many groups around "::"' : `expected 8 groups, found ${count}`);
  }
  const bytes = new Uint8Array(16);
  const place = (list: number[], firstWord: number) => {
    for (const [i, word] of list.entries()) {
      bytes[(firstWord + i) * 2] = word >> 8;
      bytes[(firstWord + i) * 2 + 1] = word & 0xff;
    }
  };
  place(head, 0);
  place(tail, 8 - tail.length);
  return { ok: bytes };
}

function parse(text: string): Result<Endpoint> {
  let hostText: string;
  let portText: string;
  let family: AddressFamily;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { problem: `"${text}": missing "]" after the IPv6 address` };
    hostText = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest === '') return { problem: `"${text}" has no port; write ${text}:PORT` };
    if (!rest.startsWith(':')) return { problem: `"${text}": expected ":PORT" after "]"` };
    portText = rest.slice(1);
    family = 6;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return { problem: `"${text}" has no port; write ADDRESS:PORT, ${EXAMPLE}` };
    hostText = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (hostText.includes(':')) return { problem: `"${text}": an IPv6 address needs brackets, e.g. [2001:db8::1]:80` };
    if (!/^[0-9.]+$/.test(hostText)) {
      return { problem: `"${hostText}" is not an IP address; host names are not resolved, write an IP literal (${EXAMPLE})` };
    }
    family = 4;
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return { problem: `"${text}": port "${portText}" is not a number 1..65535` };
  const port = Number(portText);
  if (port < 1 || port > 65535) return { problem: `"${text}": port ${port} is out of range 1..65535` };
  const address = family === 4 ? parseIPv4(hostText) : parseIPv6(hostText);
  if ('problem' in address) return address;
  return { ok: { host: formatAddress(family, address.ok), port, family, bytes: address.ok } };
}

/** Why `text` is not an endpoint, or null if it is one. */
export function endpointProblem(text: string): string | null {
  const result = parse(text);
  return 'problem' in result ? result.problem : null;
}

/** Throws TypeError with an operator-readable reason. */
export function parseEndpoint(text: string): Endpoint {
  const result = parse(text);
  if ('problem' in result) throw new TypeError(result.problem);
  return result.ok;
}

/** Dotted quad, or RFC 5952 IPv6 (IPv4-mapped addresses as `::ffff:a.b.c.d`). */
export function formatAddress(family: AddressFamily, bytes: Uint8Array): string {
  if (family === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const isMapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return `::ffff:${Array.from(bytes.subarray(12, 16)).join('.')}`;
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0));
  // RFC 5952 §4.2: compress the longest run of two or more zero words, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (list: number[]) => list.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

export function formatEndpoint(endpoint: Pick<Endpoint, 'family' | 'bytes' | 'port'>): EndpointText {
  const host = formatAddress(endpoint.family, endpoint.bytes);
  return endpoint.family === 4 ? `${host}:${endpoint.port}` : `[${host}]:${endpoint.port}`;
}

/** The one spelling of `text`; throws TypeError if it is not an endpoint. */
export function canonicalEndpoint(text: string): EndpointText {
  return formatEndpoint(parseEndpoint(text));
}

/**
 * Numeric order (IPv4 before IPv6, then address bytes, then port), so `10.0.0.2` sorts before
 * `10.0.0.10` and the order is the same on every machine and in every locale.
 */
export function compareEndpoints(a: Endpoint, b: Endpoint): number {
  if (a.family !== b.family) return a.family - b.family;
  for (let i = 0; i < a.bytes.length; i++) {
    const diff = (a.bytes[i] ?? 0) - (b.bytes[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return a.port - b.port;
}

/** 0.0.0.0 or ::: fine to listen on, meaningless to connect to. */
export function isUnspecified(endpoint: Pick<Endpoint, 'bytes'>): boolean {
  return endpoint.bytes.every((b) => b === 0);
}
