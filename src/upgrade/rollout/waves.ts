/**
 * Waves and the failure threshold, from what the operator writes to numbers of devices.
 *
 * Waves are cumulative: each step says how many devices have been reached once that wave is
 * done, as a count (`5`) or a share of the rollout's devices (`10%`, rounded up, at least 1).
 * `[1, '10%', '50%', '100%']` over 20 devices reaches 1, 2, 10 and 20 devices: waves of 1, 1, 8
 * and 10. Counts must increase among themselves, percentages too, and nothing may follow
 * `100%`; when the last step is not `100%` it is added, so a rollout always covers everyone.
 * A step that reaches no new device — rounding on a small fleet (`10%` of 3 is 1, as is a
 * preceding `1`), or a count smaller than an earlier percentage reached — adds an empty wave,
 * which is dropped: the waves that remain are numbered 1, 2, 3… without gaps.
 *
 * The failure threshold is a count (`2`: two failures are tolerated) or a share of all the
 * rollout's devices (`10%`, rounded down: 10% of 25 devices tolerates 2). The rollout halts as
 * soon as the failures exceed it: with 0, the first failure halts.
 */
import { RolloutError } from './errors.js';

/** A count of devices, or "P%" of them. */
export type WaveStep = number | string;

export const DEFAULT_WAVES: readonly WaveStep[] = [1, '10%', '50%', '100%'];

type Step = { kind: 'count'; value: number } | { kind: 'percent'; value: number };

const PERCENT = /^(0|[1-9][0-9]*)(\.[0-9]+)?%$/;
const COUNT = /^[1-9][0-9]*$/;

// Percentages with a fraction are multiplied by a device count: keep float error from turning
// an exact 2 into 2.0000000000000004 and rounding it up to 3.
const EPSILON = 1e-9;

function readStep(step: unknown, index: number): Step {
  const where = `wave ${index + 1}`;
  if (typeof step === 'number') {
    if (Number.isSafeInteger(step) && step >= 1) return { kind: 'count', value: step };
    throw new RolloutError('invalid', `${where}: ${step} is not a device count (a whole number from 1) or a percentage like "10%"`);
  }
  if (typeof step !== 'string') throw new RolloutError('invalid', `${where}: expected a device count or a percentage like "10%", got ${JSON.stringify(step)}`);
  const text = step.trim();
  if (COUNT.test(text) && Number.isSafeInteger(Number(text))) return { kind: 'count', value: Number(text) };
  if (PERCENT.test(text)) {
    const value = Number(text.slice(0, -1));
    if (value > 0 && value <= 100) return { kind: 'percent', value };
    throw new RolloutError('invalid', `${where}: ${text} is not a share of the devices: use more than 0% and at most 100%`);
  }
  throw new RolloutError('invalid', `${where}: ${JSON.stringify(step)} is not a device count (a whole number from 1) or a percentage like "10%"`);
}

const show = (s: Step): WaveStep => (s.kind === 'count' ? s.value : `${s.value}%`);

/**
 * The wave steps checked and normalized (counts as numbers, percentages as "P%"), with `100%`
 * added at the end when missing. Throws RolloutError('invalid') naming the step at fault.
 */
export function checkWaves(steps: readonly unknown[]): WaveStep[] {
  if (steps.length === 0) throw new RolloutError('invalid', 'waves: give at least one wave, e.g. 1,10%,50%,100%');
  const read = steps.map(readStep);
  read.forEach((step, i) => {
    const earlier = read.slice(0, i).filter((s) => s.kind === step.kind);
    const last = earlier.at(-1);
    if (last && step.value <= last.value) {
      throw new RolloutError(
        'invalid',
        `waves must increase: wave ${i + 1} (${show(step)}) is not more than an earlier wave (${show(last)}); waves are cumulative, e.g. 1,10%,50%,100%`,
      );
    }
    if (i > 0 && read[i - 1]!.kind === 'percent' && read[i - 1]!.value === 100) {
      throw new RolloutError('invalid', `waves: nothing can follow 100% (wave ${i + 1} is ${show(step)})`);
    }
  });
  const normalized = read.map(show);
  const last = read.at(-1)!;
  if (!(last.kind === 'percent' && last.value === 100)) normalized.push('100%');
  return normalized;
}

/** "1,10%,50%,100%" → checkWaves of its items. */
export function parseWaves(text: string): WaveStep[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new RolloutError('invalid', `waves: ${JSON.stringify(text)} has an empty item; write e.g. 1,10%,50%,100%`);
  return checkWaves(items);
}

/**
 * The size of each wave over `deviceCount` devices (checked steps, see checkWaves): they sum to
 * the device count, none is empty.
 */
export function waveSizes(steps: readonly WaveStep[], deviceCount: number): number[] {
  const read = checkWaves(steps).map(readStep);
  const sizes: number[] = [];
  let reached = 0;
  for (const [i, step] of read.entries()) {
    const target =
      i === read.length - 1 ? deviceCount : step.kind === 'count' ? step.value : Math.max(1, Math.ceil((step.value * deviceCount) / 100 - EPSILON));
    const upTo = Math.min(deviceCount, Math.max(reached, target));
    if (upTo > reached) sizes.push(upTo - reached);
    reached = upTo;
  }
  return sizes;
}

/** The wave (1-based) of each of `deviceCount` devices, in order. */
export function assignWaves(steps: readonly WaveStep[], deviceCount: number): number[] {
  return waveSizes(steps, deviceCount).flatMap((size, i) => Array.from({ length: size }, () => i + 1));
}

/** A failure threshold, normalized to "N" or "P%". Throws RolloutError('invalid'). */
export function checkMaxFailures(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (/^(0|[1-9][0-9]*)$/.test(text) && Number.isSafeInteger(Number(text))) return text;
  if (PERCENT.test(text) && Number(text.slice(0, -1)) <= 100) return `${Number(text.slice(0, -1))}%`;
  throw new RolloutError(
    'invalid',
    `max failures: ${JSON.stringify(value)} is neither a number of devices (0, 1, 2…) nor a share of them like "5%" (0%..100%)`,
  );
}

/** How many failed devices the rollout tolerates: it halts when more fail. */
export function allowedFailures(maxFailures: string, deviceCount: number): number {
  const text = checkMaxFailures(maxFailures);
  if (!text.endsWith('%')) return Number(text);
  return Math.floor((Number(text.slice(0, -1)) * deviceCount) / 100 + EPSILON);
}
