/**
 * Addresses as the three formats write them, to Fulcrum's canonical endpoint text. Only IP
 * literals are accepted: a rule table never resolves names, so a host name is a report entry.
 */

import { formatEndpoint, parseEndpoint } from '../protocol/rules/endpoint.js';

export type EndpointResult = { endpoint: string } | { problem: string };

/** `[v6]:port`, `v4:port`, or an unbracketed IPv6 address whose port follows the last colon (HAProxy). */
export function splitHostPort(text: string): { host: string; port: string | null } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { host: text, port: null };
    const rest = text.slice(close + 1);
    return { host: text.slice(1, close), port: rest.startsWith(':') ? rest.slice(1) : null };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { host: text, port: null };
  return { host: text.slice(0, colon), port: text.slice(colon + 1) };
}

/** Canonical `host:port` text, or why not (a host name, a bad literal, a bad port). */
export function endpointFrom(host: string, port: string | number): EndpointResult {
  const portText = String(port);
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65_535) {
    return { problem: `port "${portText}" is not a number 1..65535` };
  }
  const isV6 = host.includes(':');
  if (!isV6 && !/^[0-9.]+$/.test(host)) {
    return { problem: `"${host}" is a host name; a rule table holds IP literals only (names are not resolved)` };
  }
  try {
    return { endpoint: formatEndpoint(parseEndpoint(isV6 ? `[${host}]:${Number(portText)}` : `${host}:${Number(portText)}`)) };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/** Whether an endpoint text is 0.0.0.0:P or [::]:P. */
export function isWildcard(endpoint: string): boolean {
  return endpoint.startsWith('0.0.0.0:') || endpoint.startsWith('[::]:');
}

/** 4 or 6, from canonical endpoint text. */
export function familyOf(endpoint: string): 4 | 6 {
  return endpoint.startsWith('[') ? 6 : 4;
}

/** The host part of canonical endpoint text, without brackets. */
export function hostOf(endpoint: string): string {
  return splitHostPort(endpoint).host;
}

export function portOf(endpoint: string): number {
  return Number(splitHostPort(endpoint).port);
}
