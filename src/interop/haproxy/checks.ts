/**
 * `http-check …` and `tcp-check …` lines. Carried: the request path and method, the expected
 * status (`status` codes and ranges, simple `rstatus` classes) and a check port; everything else
 * in a check sequence (headers, bodies, send/expect steps) is reported.
 */

import type { ImportReport } from '../report.js';
import { statusRange, type StatusRange } from '../status.js';
import { directiveText, type Directive } from '../syntax.js';
import type { ProxyConfig } from './proxy-config.js';

export function readCheckDirective(proxy: ProxyConfig, d: Directive, report: ImportReport): void {
  const [step, ...rest] = d.args;
  if (step === 'connect') return readConnect(proxy, d, rest, report);
  if (d.name === 'tcp-check') {
    if (step === 'comment') return;
    report.omit(d.line, directiveText(d), 'only the connection itself is checked: tcp-check send/expect steps are not carried');
    return;
  }
  switch (step) {
    case 'expect':
      return readExpect(proxy, d, rest, report);
    case 'send':
      return readSend(proxy, d, rest, report);
    case 'comment':
      return;
    case 'disable-on-404':
      report.omit(d.line, directiveText(d), 'not carried: Fulcrum does not drain a backend that answers 404');
      return;
    case 'send-state':
      report.omit(d.line, directiveText(d), 'not carried: Fulcrum probes send no state header');
      return;
    default:
      report.omit(d.line, directiveText(d), 'not carried: only the request line and the expected status of an HTTP check are');
  }
}

function readConnect(proxy: ProxyConfig, d: Directive, options: string[], report: ImportReport): void {
  const other: string[] = [];
  for (let i = 0; i < options.length; i++) {
    if (options[i] === 'port' && /^[0-9]+$/.test(options[i + 1] ?? '')) {
      proxy.checkPort = { value: Number(options[i + 1]), at: d };
      i++;
    } else {
      other.push(options[i]!);
    }
  }
  if (other.length > 0) report.omit(d.line, other.join(' '), 'connect options of a check (TLS, PROXY protocol, address) are not carried');
}

function readSend(proxy: ProxyConfig, d: Directive, options: string[], report: ImportReport): void {
  let method = proxy.httpRequest?.value.method ?? 'GET';
  let path = proxy.httpRequest?.value.path ?? '/';
  const other: string[] = [];
  for (let i = 0; i < options.length; i++) {
    const key = options[i]!;
    const value = options[i + 1];
    if ((key === 'meth' || key === 'uri') && value !== undefined) {
      if (key === 'meth') method = value;
      else path = value;
      i++;
    } else if (key === 'ver' && value !== undefined) {
      i++;
    } else {
      other.push(key);
    }
  }
  proxy.httpRequest = { value: { method, path }, at: d };
  if (other.length > 0) report.omit(d.line, directiveText(d), 'headers and body of the check request are not carried: Fulcrum sends a plain GET');
}

function readExpect(proxy: ProxyConfig, d: Directive, options: string[], report: ImportReport): void {
  const negated = options[0] === '!';
  const words = negated ? options.slice(1) : options;
  const index = words.findIndex((w) => w === 'status' || w === 'rstatus');
  const kind = words[index];
  const pattern = words[index + 1];
  const range = kind === undefined || pattern === undefined || negated ? null : kind === 'status' ? statusRange(pattern.split(',')) : regexRange(pattern);
  if (range === null) {
    report.omit(d.line, directiveText(d), 'only "expect status CODES" and simple "expect rstatus ^N" are carried; the default 200-399 is used');
    return;
  }
  if (range.partial) report.omit(d.line, directiveText(d), `several status ranges cannot be expressed; ${range.value[0]}-${range.value[1]} is used`);
  proxy.expect = { value: range.value, at: d };
}

type Range = StatusRange;

/** `^2`, `^[23]`, `^[2-3]`, `^2[0-9][0-9]$`, `^(2|3)`: status classes by their first digit. */
export function regexRange(pattern: string): Range | null {
  const body = pattern
    .replace(/^\^/, '')
    .replace(/(\[0-9\]|\\d|\.){2}\$?$/, '')
    .replace(/\$$/, '');
  let digits: number[] | null = null;
  if (/^[1-5]$/.test(body)) digits = [Number(body)];
  const dashed = /^\[([1-5])-([1-5])\]$/.exec(body);
  const pair = /^\[([1-5])([1-5])\]$/.exec(body) ?? /^\(([1-5])\|([1-5])\)$/.exec(body);
  if (dashed !== null) digits = [Number(dashed[1]), Number(dashed[2])];
  // Two classes only make one range when they are neighbours (2 and 3, not 2 and 4).
  if (pair !== null && Math.abs(Number(pair[1]) - Number(pair[2])) <= 1) digits = [Number(pair[1]), Number(pair[2])];
  if (digits === null || !pattern.startsWith('^')) return null;
  const [low, high] = [Math.min(...digits), Math.max(...digits)];
  return { value: [low * 100, high * 100 + 99], partial: false };
}
