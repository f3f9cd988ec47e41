/**
 * Answers GET, GETNEXT and GETBULK from a ReadView (the appliance's WireView, followed by the
 * agent's own objects: sim/snmp/engine-mib.ts) the way RFC 3416 section 4.2 says, with a
 * binary search per varbind instead of net-snmp's agent, which re-sorts a MIB node's children
 * at every GETNEXT step (a walk of a 10,000-row table falls to ~500 varbinds/s) and caps a whole
 * GETBULK response at max-repetitions varbinds instead of N + M × R.
 *
 * Pure: request in, response varbinds out; sim/snmp/snmp-agent.ts does the wire.
 */

import type { Oid } from '../../src/protocol/mib/oid.js';
import { ErrorStatus } from '../../src/protocol/mib/smi.js';
import { Exception, varbindSize, type ReadView, type WireVarbind } from './wire-view.js';

export interface ReadResponse {
  errorStatus: number;
  errorIndex: number;
  varbinds: WireVarbind[];
}

/** The request's OIDs, already checked by the BER decoder to be dotted decimal. */
export function arcsOf(text: string): Oid {
  return text.split('.').map(Number);
}

function exception(name: string, arcs: Oid, type: number): WireVarbind & { size: number } {
  return { oid: name, type, value: null, size: varbindSize(arcs, 0) };
}

/** RFC 3416 4.2.1 / 4.2.2: a response that would not fit is replaced by tooBig with no varbinds. */
function fitted(varbinds: (WireVarbind & { size: number })[], budget: number): ReadResponse {
  let size = 0;
  for (const v of varbinds) size += v.size;
  if (size > budget) return { errorStatus: ErrorStatus.tooBig, errorIndex: 0, varbinds: [] };
  // The cached varbinds go out as they are (net-snmp's encoder reads oid, type and value only):
  // a walk then allocates nothing per varbind.
  return { errorStatus: ErrorStatus.noError, errorIndex: 0, varbinds };
}

/** GET: the instance, else noSuchInstance under an object the view serves, else noSuchObject. */
export function answerGet(w: ReadView, names: readonly string[], budget: number): ReadResponse {
  return fitted(
    names.map((name) => {
      const arcs = arcsOf(name);
      const i = w.indexOf(arcs);
      if (i >= 0) return w.at(i);
      return exception(name, arcs, w.serves(arcs) ? Exception.noSuchInstance : Exception.noSuchObject);
    }),
    budget,
  );
}

function next(w: ReadView, name: string): WireVarbind & { size: number } {
  const arcs = arcsOf(name);
  const i = w.nextIndex(arcs);
  return i < w.length ? w.at(i) : exception(name, arcs, Exception.endOfMibView);
}

/** GETNEXT: the first instance after each name, or endOfMibView (named as requested). */
export function answerGetNext(w: ReadView, names: readonly string[], budget: number): ReadResponse {
  return fitted(
    names.map((name) => next(w, name)),
    budget,
  );
}

/**
 * GETBULK (RFC 3416 4.2.3): N = non-repeaters, M = max-repetitions, R = the other varbinds;
 * the response holds N + M × R varbinds, fewer only (1) when they would not fit the message —
 * varbinds are dropped from the end — or (2) after a repetition in which every repeater reached
 * endOfMibView.
 */
export function answerGetBulk(w: ReadView, names: readonly string[], nonRepeaters: number, maxRepetitions: number, budget: number): ReadResponse {
  const n = Math.min(Math.max(nonRepeaters, 0), names.length);
  const m = Math.max(maxRepetitions, 0);
  const out: WireVarbind[] = [];
  let size = 0;
  const add = (v: WireVarbind & { size: number }): boolean => {
    if (size + v.size > budget) return false;
    size += v.size;
    out.push(v);
    return true;
  };
  const done = (): ReadResponse => ({ errorStatus: ErrorStatus.noError, errorIndex: 0, varbinds: out });

  for (let i = 0; i < n; i++) if (!add(next(w, names[i]!))) return done();

  const repeaters = names.slice(n);
  if (repeaters.length === 0) return done();
  // Each repeater walks on from where it is: the view is sorted, so the next instance after the
  // one just returned is the next position — one binary search per repeater, not per varbind.
  const cursor = repeaters.map((name) => w.nextIndex(arcsOf(name)));
  const lastName = repeaters.slice();
  for (let rep = 0; rep < m; rep++) {
    let allEnded = true;
    for (let r = 0; r < repeaters.length; r++) {
      const at = cursor[r]!;
      let v: WireVarbind & { size: number };
      if (at < w.length) {
        v = w.at(at);
        cursor[r] = at + 1;
        lastName[r] = v.oid;
        allEnded = false;
      } else {
        v = exception(lastName[r]!, arcsOf(lastName[r]!), Exception.endOfMibView);
      }
      if (!add(v)) return done();
    }
    if (allEnded) break;
  }
  return done();
}
