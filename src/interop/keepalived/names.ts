/**
 * keepalived virtual servers have no names. A plain `virtual_server IP PORT` imports as
 * `vs-IP-PORT` (`-udp` added for UDP, IPv6 colons as `_`); a service whose name is anything else
 * exports as a one-address `virtual_server_group NAME`, which keeps the name through a round trip.
 */

import { hostOf, portOf } from '../address.js';
import type { Protocol } from '../../protocol/rules/model.js';

export function derivedName(listen: string, protocol: Protocol): string {
  return `vs-${hostOf(listen).replace(/:/g, '_')}-${portOf(listen)}${protocol === 'udp' ? '-udp' : ''}`;
}
