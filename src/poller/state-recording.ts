/**
 * An appliance as `fulcrum monitor` polls it: its driver, whose poll also reads the appliance's
 * identity and records it in the store's appliance state (src/store/appliance-state.ts), so
 * `fulcrum appliance list` shows reachability, firmware, config id and pending confirms without
 * asking anyone — as a polling `serve` records them (src/api/poll-loop.ts). Invariant: the
 * sample's time is when the uptime was read, as the Monitor's own fallback (viaInfo) times it.
 */
import type { ApplianceDriver } from '../../drivers/driver.js';
import type { CountersSnapshot } from '../protocol/counters.js';
import type { ApplianceStateStore } from '../store/appliance-state.js';
import type { Fence } from '../store/ownership.js';
import type { PolledFrame } from '../../drivers/snmp/frame-poller.js';

type Polled = { sysUpTime: number; at: number; snapshot: CountersSnapshot };
type Pollable = { poll(): Promise<{ sysUpTime: number; at?: number; snapshot: CountersSnapshot }> };
type FramePollable = { pollFrame(): Promise<PolledFrame | { sysUpTime: number; at?: number; snapshot: CountersSnapshot }> };

const hasPoll = (d: ApplianceDriver): d is ApplianceDriver & Pollable => typeof (d as Partial<Pollable>).poll === 'function';
const hasFrames = (d: ApplianceDriver): d is ApplianceDriver & FramePollable => typeof (d as Partial<FramePollable>).pollFrame === 'function';

/** `driver`, with a poll that reads identity first and records it under `name`. */
/** `fence`: on a shared store, the lease of the cycle in flight (the state write is refused once it is gone). */
export function recordingState<D extends ApplianceDriver>(
  driver: D,
  name: string,
  states: ApplianceStateStore,
  fence: () => Fence | undefined = () => undefined,
): D & { poll(): Promise<Polled> } {
  const poll = async (): Promise<Polled> => {
    const info = await driver.info();
    const infoAt = Date.now();
    const {
      sysUpTime,
      at = infoAt,
      snapshot,
    } = hasPoll(driver) ? await driver.poll() : { sysUpTime: info.uptimeSeconds * 100, snapshot: await driver.counters() };
    await states.observed(name, infoAt, info, fence());
    return { sysUpTime, at, snapshot };
  };
  // A driver that polls into frames (SNMP) records identity the same way before each frame.
  const pollFrame = hasFrames(driver)
    ? async () => {
        const info = await driver.info();
        const infoAt = Date.now();
        const polled = await driver.pollFrame();
        await states.observed(name, infoAt, info, fence());
        return polled;
      }
    : undefined;
  // Everything else is the driver's own, bound to it (its private state stays its own).
  return new Proxy(driver, {
    get(target, key) {
      if (key === 'poll') return poll;
      if (key === 'pollFrame') return pollFrame;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as D & { poll(): Promise<Polled> };
}
