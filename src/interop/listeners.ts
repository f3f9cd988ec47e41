/**
 * The listen addresses of an imported table, kept bindable together (the loader's rule,
 * src/rules/listen-conflicts.ts): a second service on an address, or next to a wildcard holding
 * its port, is dropped with a report. One case is merged instead: 0.0.0.0:P and [::]:P with the
 * same settings (nginx's `listen P; listen [::]:P;`, HAProxy's `bind *:P` + `bind :::P`) mean
 * "IPv4 and IPv6 clients", which is what [::]:P alone means on a Fulcrum appliance (dual-stack).
 */

import { parseEndpoint, type Endpoint } from '../protocol/rules/endpoint.js';
import type { Service } from '../protocol/rules/model.js';
import { listenConflict } from '../rules/listen-conflicts.js';
import type { Origin } from './draft.js';
import type { ImportReport } from './report.js';

interface Entry {
  service: Service;
  endpoint: Endpoint;
  origin: Origin;
}

/** Everything but name and listen address, backends in a fixed order. */
const settings = (s: Service): string =>
  JSON.stringify({ ...s, name: '', listen: '', backends: [...s.backends].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)) });

export class ListenerSet {
  private readonly entries: Entry[] = [];

  /** 'add' when `service` can join the table, 'merged' when an earlier service took its clients, 'drop' otherwise. */
  admit(service: Service, origin: Origin, report: ImportReport): 'add' | 'merged' | 'drop' {
    const endpoint = parseEndpoint(service.listen);
    const clash = this.entries.find((e) => e.service.protocol === service.protocol && listenConflict(e.endpoint, endpoint) !== null);
    if (clash === undefined) {
      this.entries.push({ service, endpoint, origin });
      return 'add';
    }
    const wildcards = [clash.service.listen, service.listen].sort().join(' ');
    const port = endpoint.port;
    if (wildcards === `0.0.0.0:${port} [::]:${port}` && settings(clash.service) === settings(service)) {
      const reason = `merged into the service from line ${clash.origin.line}, which now listens on [::]:${port}: a Fulcrum appliance takes IPv4 and IPv6 clients there alike`;
      report.omit(origin.line, origin.directive, reason);
      clash.service.listen = `[::]:${port}`;
      clash.endpoint = parseEndpoint(clash.service.listen);
      return 'merged';
    }
    const how = listenConflict(clash.endpoint, endpoint) === 'same' ? 'is already the listen address' : `overlaps ${clash.service.listen}, the listen address`;
    report.omit(origin.line, origin.directive, `${service.listen}/${service.protocol} ${how} of the service from line ${clash.origin.line}; not imported`);
    return 'drop';
  }
}
