/**
 * In-memory console lines and a firmware appliance behind them, for the serial driver's unit
 * tests: no PTY, no timers of its own. A `Line` is one cable between the agent (a ByteLink) and
 * an appliance's console port; each direction has a tap that decides what reaches the other end
 * of every frame written (drop it, corrupt it, duplicate it, hold it back), and a log of what was
 * written. Bytes are delivered in a later microtask, as a device would deliver them.
 */
import { vi } from 'vitest';
import { Appliance } from '../../../../firmware/appliance.js';
import type { ManagementOps } from '../../../../firmware/mgmt/management-ops.js';
import { SerialServer } from '../../../../firmware/mgmt/serial-server.js';
import type { ConsolePort } from '../../../../firmware/ports.js';
import { cobsDecode, cobsEncode } from '../../../../src/protocol/serial/cobs.js';
import { encodeFrame, FrameDecoder } from '../../../../src/protocol/serial/frame.js';
import type { Frame, Message, Request, Response } from '../../../../src/protocol/serial/messages.js';
import type { RuleTable } from '../../../../src/protocol/rules/model.js';
import type { ByteLink } from '../../../../drivers/serial/transport.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { FlakyStorage, table } from '../../firmware/mgmt/support.js';

/** Taken before any test fakes the timers: one turn of the real event loop runs every pending microtask. */
const realSetImmediate = globalThis.setImmediate;

/** Lets every promise chain that can run without time passing run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => realSetImmediate(r));
}

/** Moves the fake clock on by `ms`, letting promises run between timers and after. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
}

/** The one frame a single write carries (the transport and the server write whole frames), or null. */
export function decodeWire(wire: Uint8Array): Frame | null {
  let frame: Frame | null = null;
  new FrameDecoder({ maxPayload: 0xffff, onFrame: (f) => (frame = f) }).push(wire);
  return frame;
}

/** The same frame with one bit of its body flipped and a valid COBS layer: the CRC no longer matches. */
export function corrupt(wire: Uint8Array): Uint8Array {
  const body = cobsDecode(wire.subarray(0, wire.length - 1));
  body[Math.floor(body.length / 2)]! ^= 0x10;
  const encoded = cobsEncode(body);
  const out = new Uint8Array(encoded.length + 1);
  out.set(encoded);
  return out;
}

export type Direction = 'toAppliance' | 'toAgent';

/** One write onto the line and what the tap made of it. */
export interface Written {
  dir: Direction;
  /** performance.now() when it was written (the fake clock's, under fake timers). */
  at: number;
  frame: Frame | null;
  wire: Uint8Array;
}

/** Decides what reaches the other end of one write: [] drops it, [w, w] duplicates it. */
export type Tap = (frame: Frame | null, wire: Uint8Array) => Uint8Array[];
export const pass: Tap = (_f, wire) => [wire];

export class Line {
  readonly log: Written[] = [];
  toAppliance: Tap = pass;
  toAgent: Tap = pass;
  /** The agent closed its end. */
  closedByAgent = false;
  /** The device went away (unplug). */
  unplugged = false;
  /** Called as each frame actually reaches the agent (after the tap), before the agent sees it. */
  onDeliverToAgent: ((frame: Frame | null) => void) | null = null;
  readonly agent: ByteLink;
  private readonly dataListeners: ((bytes: Uint8Array) => void)[] = [];
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    readonly name: string,
    private readonly toPort: (bytes: Uint8Array) => void,
  ) {
    this.agent = {
      write: (bytes) => this.carry('toAppliance', bytes.slice()),
      onData: (listener) => void this.dataListeners.push(listener),
      onClose: (listener) => void this.closeListeners.push(listener),
      close: async () => {
        if (this.closedByAgent) return;
        this.closedByAgent = true;
        // A real port reports its own close too.
        queueMicrotask(() => this.fireClose());
      },
    };
  }

  get live(): boolean {
    return !this.closedByAgent && !this.unplugged;
  }

  /** The device vanishes: nothing more is carried, and the agent's end reports the close. */
  unplug(): void {
    if (this.unplugged) return;
    this.unplugged = true;
    this.fireClose();
  }

  /** The appliance's console wrote `bytes`. */
  fromAppliance(bytes: Uint8Array): void {
    this.carry('toAgent', bytes.slice());
  }

  /** Puts bytes on the line as if the appliance had written them, past the tap. */
  injectToAgent(bytes: Uint8Array): void {
    this.deliver('toAgent', bytes);
  }

  /** Puts bytes on the line as if the agent had written them, past the tap. */
  injectToAppliance(bytes: Uint8Array): void {
    this.deliver('toAppliance', bytes);
  }

  /** Frames written in one direction (all copies, delivered or not). */
  frames(dir: Direction): Frame[] {
    return this.log.filter((w) => w.dir === dir && w.frame !== null).map((w) => w.frame!);
  }

  /** Type names of the frames the agent wrote, in order. */
  agentTypes(): string[] {
    return this.frames('toAppliance').map((f) => f.message.type);
  }

  private carry(dir: Direction, wire: Uint8Array): void {
    if (!this.live) return;
    const frame = decodeWire(wire);
    const entry: Written = { dir, at: performance.now(), frame, wire };
    this.log.push(entry);
    const out = (dir === 'toAppliance' ? this.toAppliance : this.toAgent)(frame, wire);
    for (const copy of out) this.deliver(dir, copy);
  }

  private deliver(dir: Direction, bytes: Uint8Array): void {
    queueMicrotask(() => {
      if (!this.live) return;
      if (dir === 'toAppliance') return this.toPort(bytes);
      this.onDeliverToAgent?.(decodeWire(bytes));
      for (const l of this.dataListeners) l(bytes);
    });
  }

  private fireClose(): void {
    for (const l of this.closeListeners) l();
  }
}

/** Counts the management operations the serial server calls (to tell an execution from a cached answer). */
function counted(ops: ManagementOps, calls: Map<string, number>): ManagementOps {
  const out: Record<string, unknown> = { ...ops };
  for (const [name, value] of Object.entries(ops)) {
    if (typeof value !== 'function') continue;
    out[name] = (...args: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return (value as (...a: unknown[]) => unknown).apply(ops, args);
    };
  }
  return out as unknown as ManagementOps;
}

/**
 * A firmware appliance (Appliance.boot over in-memory storage, the real SerialServer on its
 * console) that cables can be plugged into. Only the latest cable carries its console's output.
 */
export class FakeAppliance {
  readonly calls = new Map<string, number>();
  readonly lines: Line[] = [];
  server!: SerialServer;
  private portListener: ((bytes: Uint8Array) => void) | null = null;
  private current: Line | null = null;

  private constructor(
    readonly appliance: Appliance,
    readonly serialNumber: string,
  ) {}

  static async boot(serialNumber: string, rules: RuleTable = table(0)): Promise<FakeAppliance> {
    const storage = new FlakyStorage();
    storage.blobs.set('identity.json', new TextEncoder().encode(JSON.stringify({ serialNumber })));
    const appliance = await Appliance.boot({
      clock: new FakeClock(),
      storage,
      probe: { probe: async () => ({ ok: true, detail: 'fake' }) },
      random: () => 0.5,
      firmwareVersion: '1.0.0',
      seedRules: rules,
    });
    const fake = new FakeAppliance(appliance, serialNumber);
    const port: ConsolePort = {
      write: (bytes) => fake.current?.fromAppliance(bytes),
      onData: (listener) => void (fake.portListener = listener),
    };
    fake.server = new SerialServer(port, counted(appliance.management, fake.calls));
    return fake;
  }

  /** A new cable to this appliance's console (the previous one no longer carries anything). */
  plug(): Line {
    const line = new Line(`${this.serialNumber}#${this.lines.length + 1}`, (bytes) => {
      if (this.current === line) this.portListener?.(bytes);
    });
    this.lines.push(line);
    this.current = line;
    return line;
  }

  count(op: keyof ManagementOps): number {
    return this.calls.get(op) ?? 0;
  }
}

export const isResponse = (m: Message): m is Response => m.type.endsWith('Ok') || m.type === 'error';
export const isRequest = (m: Message): m is Request => !isResponse(m) && m.type !== 'event';

/** A tap that holds back every frame for which `hold` says so; `release` delivers them (oldest first). */
export function holding(hold: (f: Frame | null) => boolean = () => true) {
  const held: Uint8Array[] = [];
  const tap: Tap = (f, wire) => {
    if (!hold(f)) return [wire];
    held.push(wire);
    return [];
  };
  return {
    tap,
    held,
    /** Delivers the `n` oldest held frames (all by default) through `line`, past its tap. */
    release(line: Line, dir: Direction, n = held.length) {
      for (const wire of held.splice(0, n)) {
        if (dir === 'toAgent') line.injectToAgent(wire);
        else line.injectToAppliance(wire);
      }
    },
  };
}

/** A helloOk as another appliance would grant it: the server's answer with other limits. */
export function granting(limits: { maxPayload?: number; window?: number }): Tap {
  return (f, wire) => {
    if (f?.message.type !== 'helloOk') return [wire];
    return [encodeFrame({ seq: f.seq, message: { ...f.message, ...limits } })];
  };
}
