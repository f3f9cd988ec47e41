import { describe, expect, it } from 'vitest';
import { allowedFailures, assignWaves, checkMaxFailures, checkWaves, parseWaves, RolloutError, waveSizes } from '../../../../src/upgrade/rollout/index.js';

function refusal(action: () => unknown): RolloutError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(RolloutError);
    return error as RolloutError;
  }
  throw new Error('expected a RolloutError');
}

describe('waves', () => {
  it('are cumulative: 1, 10%, 50%, 100% of 20 devices reach 1, 2, 10 and 20', () => {
    expect(waveSizes(parseWaves('1,10%,50%,100%'), 20)).toEqual([1, 1, 8, 10]);
    expect(assignWaves(parseWaves('1,10%,50%,100%'), 20)).toEqual([1, 2, ...Array(8).fill(3), ...Array(10).fill(4)]);
  });

  it('round percentages up, never below one device', () => {
    expect(waveSizes(['10%', '100%'], 25)).toEqual([3, 22]);
    expect(waveSizes(['1%', '100%'], 5)).toEqual([1, 4]);
    // 33.3% of 1000 is 333 exactly: no float error may push it to 334.
    expect(waveSizes(['33.3%'], 1000)).toEqual([333, 667]);
  });

  it('add 100% when the last wave is not it, so everyone is covered', () => {
    expect(checkWaves([1, '50%'])).toEqual([1, '50%', '100%']);
    expect(parseWaves('5')).toEqual([5, '100%']);
    expect(waveSizes(parseWaves('5'), 12)).toEqual([5, 7]);
  });

  it('drop waves that would reach nobody new: small fleets, counts below an earlier percentage', () => {
    expect(waveSizes(parseWaves('1,10%,50%,100%'), 3)).toEqual([1, 1, 1]);
    expect(waveSizes(parseWaves('1,10%,50%,100%'), 1)).toEqual([1]);
    expect(waveSizes([1, '50%', 5], 100)).toEqual([1, 49, 50]);
    expect(waveSizes([50], 10)).toEqual([10]);
  });

  it('refuse steps that are not counts or shares, that do not increase, or follow 100%', () => {
    expect(refusal(() => parseWaves('1,x,100%')).message).toMatch(/wave 2: "x" is not a device count/);
    expect(refusal(() => parseWaves('0,100%')).message).toMatch(/wave 1/);
    expect(refusal(() => parseWaves('1,0%')).message).toMatch(/wave 2/);
    expect(refusal(() => parseWaves('1,150%')).message).toMatch(/at most 100%/);
    expect(refusal(() => parseWaves('50%,10%')).message).toMatch(/waves must increase: wave 2 \(10%\)/);
    expect(refusal(() => parseWaves('5,3')).message).toMatch(/waves must increase: wave 2 \(3\)/);
    expect(refusal(() => parseWaves('100%,5')).message).toMatch(/nothing can follow 100%/);
    expect(refusal(() => parseWaves('1,,100%')).message).toMatch(/empty item/);
    expect(refusal(() => checkWaves([])).code).toBe('invalid');
    expect(refusal(() => checkWaves([1.5])).code).toBe('invalid');
  });
});

describe('failure threshold', () => {
  it('is a count, or a share of all devices rounded down', () => {
    expect(allowedFailures('0', 20)).toBe(0);
    expect(allowedFailures('3', 20)).toBe(3);
    expect(allowedFailures('10%', 25)).toBe(2);
    expect(allowedFailures('10%', 9)).toBe(0);
    expect(allowedFailures('100%', 7)).toBe(7);
    expect(checkMaxFailures(2)).toBe('2');
    expect(checkMaxFailures(' 5% ')).toBe('5%');
  });

  it('refuses anything else', () => {
    for (const bad of ['-1', 'x', '1.5', '101%', '', '%']) expect(refusal(() => checkMaxFailures(bad)).message).toMatch(/max failures/);
  });
});
