/**
 * What a member advertises about its own forwarding: whether it can serve (every service has a
 * backend up, or a fallback to send clients to) and how many established TCP connections it
 * holds (they die with it: the member taking over reports them lost).
 */
import type { ForwardingCore } from '../forwarding/forwarding-core.js';

export function canServe(core: ForwardingCore): boolean {
  return core.services.every((svc) => {
    if (svc.config.fallback !== null) return true;
    for (let i = 0; i < svc.size; i++) if (svc.operState(i) === 'up') return true;
    return false;
  });
}

export function tcpFlows(core: ForwardingCore): number {
  let n = 0;
  for (const svc of core.services) if (svc.config.protocol === 'tcp') n += svc.service.connsActive;
  return n;
}
