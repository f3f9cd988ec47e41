/**
 * Who should be active, between two members: one that can serve (it has a backend up for every
 * service) before one that cannot, then the higher priority, then the lower unit number.
 * "Cannot serve" thus lowers a member's effective priority below every member that can, as a
 * keepalived track script would, without losing the order among members that cannot.
 */
export interface Rankable {
  unit: number;
  priority: number;
  canServe: boolean;
}

/** Whether `a` should be active rather than `b`; exactly one of outranks(a, b), outranks(b, a) holds for distinct units. */
export function outranks(a: Rankable, b: Rankable): boolean {
  if (a.canServe !== b.canServe) return a.canServe;
  if (a.priority !== b.priority) return a.priority > b.priority;
  return a.unit < b.unit;
}

/** A member's rank in words, for the reasons transitions give. */
export function describeRank(r: Rankable): string {
  return `unit ${r.unit} (priority ${r.priority}${r.canServe ? '' : ', cannot serve'})`;
}
