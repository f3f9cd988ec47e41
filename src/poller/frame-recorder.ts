/**
 * Frames (drivers/snmp/frame-decoder.ts) → store points, with each appliance's previous sample
 * kept in typed arrays of its layout: the same rules as PollRecorder's (./recorder.ts, ./rates.ts)
 * — a baseline or a gap leaves a null marker, a 32-bit counter that went down wrapped, a 64-bit
 * one restarted, an implausible increase is a gap, two polls in one second keep the first — and
 * the same points, without a Map, string or object per counter per poll.
 *
 * Counter values are two 32-bit halves; a delta is computed as a number, exact below 2^53, and
 * any delta that large is above every ceiling (the largest, 10 Gb/s in octets, reaches 2^53 only
 * after 83 days), so it is a gap either way. A changed layout (the rule table changed) carries
 * each reading's previous value over by name, as PollRecorder does by matching names.
 */
import type { FrameKey, FrameLayout } from '../../drivers/snmp/frame-layout.js';
import type { Frame } from '../../drivers/snmp/frame-decoder.js';
import type { MetricStore, Point, SeriesKey } from '../store/metric-store.js';
import { defaultMaxRate, intervalGap, type PollSample, type RateOptions } from './rates.js';
import { readingName } from './snapshot.js';

export interface FrameInput {
  appliance: string;
  /** When the answer carrying sysUpTime arrived, ms (also the stored sample time). */
  timeMs: number;
  sysUpTime: number;
  layout: FrameLayout;
  frame: Frame;
}

/** An appliance's layout as the recorder keeps it: series ids and ceilings by slot, and the previous sample. */
interface State {
  layout: FrameLayout;
  /** Each reading's name is asked of the layout when it changes, not kept: ~200 strings per appliance. */
  /** Counters' ids, then gauges'. */
  ids: number[];
  maxRate: Float64Array;
  /** The previous sample's counters (halves, as a frame has them), and whether each has one. */
  previous: Uint32Array;
  has: Uint8Array;
  sample: PollSample | null;
}

const NO_COUNTERS: PollSample['counters'] = new Map();
const TWO_32 = 2 ** 32;

export class FrameRecorder {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly store: MetricStore,
    private readonly options: RateOptions,
  ) {}

  /** The points of one poll of one appliance (not yet written). */
  async record(input: FrameInput): Promise<Point[]> {
    let state = this.states.get(input.appliance);
    const prev = state?.sample ?? null;
    // One sample per appliance and second (see PollRecorder): the next interval runs from the
    // kept one, in the layout it was read in.
    if (prev && Math.floor(prev.timeMs / 1000) === Math.floor(input.timeMs / 1000)) return [];
    if (!state || state.layout !== input.layout) {
      state = await this.adopt(input.appliance, input.layout, state);
      this.states.set(input.appliance, state);
    }
    const sample: PollSample = { timeMs: input.timeMs, sysUpTime: input.sysUpTime, counters: NO_COUNTERS };
    const whole = prev === null ? 'baseline' : intervalGap(prev, sample, this.options);
    const seconds = prev === null ? 0 : Math.max(0, (input.timeMs - prev.timeMs) / 1000);
    const { counters, gauges } = input.frame;
    const { layout, ids, maxRate, previous, has } = state;
    const n = layout.counters.length;
    const ts = input.timeMs;
    const points: Point[] = new Array<Point>(n + layout.gauges.length);
    for (let i = 0; i < n; i++) {
      let value: number | null = null;
      if (whole === null && has[i] === 1) {
        let delta = (counters[2 * i]! - previous[2 * i]!) * TWO_32 + (counters[2 * i + 1]! - previous[2 * i + 1]!);
        if (delta < 0 && layout.counters[i]!.width === 32) delta += TWO_32;
        value = delta < 0 || delta > maxRate[i]! * seconds || delta > Number.MAX_SAFE_INTEGER ? null : delta;
      }
      points[i] = { series: ids[i]!, ts, value };
      previous[2 * i] = counters[2 * i]!;
      previous[2 * i + 1] = counters[2 * i + 1]!;
      has[i] = 1;
    }
    for (let g = 0; g < gauges.length; g++) points[n + g] = { series: ids[n + g]!, ts, value: gauges[g]! };
    state.sample = sample;
    return points;
  }

  /** Drop an appliance's previous sample (removed, or unreachable long enough to start over). */
  forget(appliance: string): void {
    this.states.delete(appliance);
  }

  /** A new layout's state: series ids from the store, previous values carried over by name. */
  private async adopt(appliance: string, layout: FrameLayout, before: State | undefined): Promise<State> {
    const keyOf = (k: FrameKey) => seriesKey(appliance, k);
    const keys = [
      ...layout.counters.map((k) => ({ key: keyOf(k), kind: 'counter' as const })),
      ...layout.gauges.map((k) => ({ key: keyOf(k), kind: 'gauge' as const })),
    ];
    const names = keys.map((k) => readingName(k.key));
    const beforeNames = before ? namesOf(appliance, before.layout) : [];
    const sameNames = before !== undefined && beforeNames.length === names.length && beforeNames.every((name, i) => name === names[i]);
    const ids = sameNames ? before.ids : await this.store.seriesMany(keys);
    const n = layout.counters.length;
    const ceiling = this.options.maxRate ?? defaultMaxRate;
    const maxRate = Float64Array.from(layout.counters, (_, i) => ceiling(names[i]!));
    const previous = new Uint32Array(2 * n);
    const has = new Uint8Array(n);
    if (before) {
      const at = new Map(beforeNames.slice(0, before.layout.counters.length).map((name, i) => [name, i]));
      for (let i = 0; i < n; i++) {
        const j = at.get(names[i]!);
        // A reading whose width changed starts over, as rates.ts's counterDelta has it.
        if (j === undefined || before.has[j] !== 1 || before.layout.counters[j]!.width !== layout.counters[i]!.width) continue;
        previous[2 * i] = before.previous[2 * j]!;
        previous[2 * i + 1] = before.previous[2 * j + 1]!;
        has[i] = 1;
      }
    }
    return { layout, ids, maxRate, previous, has, sample: before?.sample ?? null };
  }
}

/** The reading names of a layout's counters, then gauges (as snapshot.ts names them). */
function namesOf(appliance: string, layout: FrameLayout): string[] {
  return [...layout.counters, ...layout.gauges].map((k) => readingName(seriesKey(appliance, k)));
}

function seriesKey(appliance: string, k: FrameKey): SeriesKey {
  return {
    appliance,
    ...(k.service !== undefined ? { service: k.service } : {}),
    ...(k.backend !== undefined ? { backend: k.backend } : {}),
    counter: k.counter,
  };
}
