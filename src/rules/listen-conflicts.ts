/**
 * Listen addresses of one table that the appliance could not all bind: two identical ones, or a
 * wildcard next to another address on the same port and protocol. The kernel refuses the second
 * bind (EADDRINUSE) whichever comes first: 0.0.0.0:P holds P on every IPv4 address, and :: is
 * dual-stack (as the appliance binds it), so [::]:P holds P on IPv4 addresses too. 0.0.0.0 next to
 * a specific IPv6 address is fine. Without this check such a table validates and then fails at
 * commit, on the appliance.
 *
 * Each conflict is reported at both services, each naming the other, so the operator sees both
 * places (FILE:LINE:COL) and picks which to change; a service already reported is not again.
 */
import { isUnspecified, type Endpoint } from '../protocol/rules/endpoint.js';
import type { PathSegment } from '../protocol/rules/problems.js';

export type ListenConflict = 'same' | 'wildcard';

/** Whether two listen endpoints of one protocol collide, and how. */
export function listenConflict(a: Endpoint, b: Endpoint): ListenConflict | null {
  if (a.port !== b.port) return null;
  if (a.family === b.family && a.host === b.host) return 'same';
  const holds = (wild: Endpoint, other: Endpoint) => isUnspecified(wild) && (wild.family === 6 || other.family === 4);
  return holds(a, b) || holds(b, a) ? 'wildcard' : null;
}

export interface Listener {
  index: number;
  /** The service's name when it is a usable one, for the messages. */
  name: string | undefined;
  protocol: string;
  endpoint: Endpoint;
  /** Canonical text, as messages show it. */
  text: string;
}

type Report = (path: PathSegment[], message: string) => void;

const who = (l: Listener): string => (l.name === undefined ? `services[${l.index}]` : `service "${l.name}" (services[${l.index}])`);

function why(a: Listener, b: Listener): string {
  // Of two wildcards, :: is the one that takes the other's addresses too.
  const wild = isUnspecified(a.endpoint) && (!isUnspecified(b.endpoint) || a.endpoint.family === 6) ? a : b;
  const scope = wild.endpoint.family === 6 ? 'every address, IPv4 included' : 'every IPv4 address';
  return `${wild.endpoint.host} takes ${wild.protocol} port ${wild.endpoint.port} on ${scope}, so the two cannot both listen`;
}

/**
 * The listeners of one protocol and port seen so far, indexed so that even 65,535 services on
 * one port (a request body of 4 MiB can hold that many) are checked in linear time.
 */
class PortGroup {
  private readonly firstByHost = new Map<string, Listener>();
  private readonly firstOf = new Map<number, Listener>();
  /** The first 0.0.0.0 (key 4) and the first :: (key 6). */
  private readonly firstWildcard = new Map<number, Listener>();
  /** Listeners no conflict has named yet: specific ones by family, wildcards apart (at most one of each family). */
  private readonly unreported = new Map<number, Set<Listener>>([
    [4, new Set()],
    [6, new Set()],
  ]);
  private readonly unreportedWildcards = new Set<Listener>();

  /** The earlier listener `later` collides with first, and those not reported yet it collides with. */
  collisions(later: Listener): { first: Listener | undefined; unreported: Listener[] } {
    const e = later.endpoint;
    const candidates = [this.firstByHost.get(hostKey(e)), this.firstWildcard.get(6), e.family === 4 ? this.firstWildcard.get(4) : undefined];
    if (isUnspecified(e)) candidates.push(this.firstOf.get(4), e.family === 6 ? this.firstOf.get(6) : undefined);
    const first = candidates.filter((c) => c !== undefined).sort((a, b) => a.index - b.index)[0];
    const unreported = [...this.unreportedWildcards].filter((w) => listenConflict(w.endpoint, e) !== null);
    if (isUnspecified(e)) for (const family of e.family === 6 ? [4, 6] : [4]) unreported.push(...this.unreported.get(family)!);
    else {
      const same = this.firstByHost.get(hostKey(e));
      if (same !== undefined && this.unreported.get(e.family)!.has(same)) unreported.push(same);
    }
    return { first, unreported };
  }

  add(l: Listener, collided: boolean): void {
    const e = l.endpoint;
    if (!this.firstByHost.has(hostKey(e))) this.firstByHost.set(hostKey(e), l);
    if (!this.firstOf.has(e.family)) this.firstOf.set(e.family, l);
    if (isUnspecified(e) && !this.firstWildcard.has(e.family)) this.firstWildcard.set(e.family, l);
    if (!collided) (isUnspecified(e) ? this.unreportedWildcards : this.unreported.get(e.family)!).add(l);
  }

  reported(l: Listener): void {
    this.unreportedWildcards.delete(l);
    this.unreported.get(l.endpoint.family)!.delete(l);
  }
}

const hostKey = (e: Endpoint): string => `${e.family} ${e.host}`;

/**
 * Checks `listeners` (in table order): each service that collides with an earlier one is reported
 * once, naming the first it collides with; each earlier one not reported yet, naming the later.
 */
export function reportListenConflicts(listeners: readonly Listener[], report: Report): void {
  const at = (l: Listener) => ['services', l.index, 'listen'];
  const describe = (self: Listener, other: Listener, later: boolean): string => {
    if (listenConflict(self.endpoint, other.endpoint) === 'same')
      return `${self.text}/${self.protocol} is ${later ? 'already' : 'also'} the listen address of ${who(other)}`;
    return `${self.text}/${self.protocol} overlaps ${other.text}/${other.protocol} of ${who(other)}: ${why(self, other)}`;
  };
  const groups = new Map<string, PortGroup>();
  for (const later of listeners) {
    const key = `${later.protocol} ${later.endpoint.port}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = new PortGroup()));
    const { first, unreported } = group.collisions(later);
    if (first !== undefined) report(at(later), describe(later, first, true));
    for (const earlier of unreported) {
      report(at(earlier), describe(earlier, later, false));
      group.reported(earlier);
    }
    group.add(later, first !== undefined);
  }
}
