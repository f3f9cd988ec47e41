/**
 * Spellings of numbers, durations and ports for the numeric-field and history-range targets:
 * the honest ones at and beside each bound, and what an operator, a script or an attacker writes
 * instead — too big for any integer type, negative, fractional, hex, octal, binary, exponents,
 * NaN and infinity in several spellings, leading zeros and signs, digits from other scripts.
 * Only characters that leave the YAML (or JSON) around the value intact, so the field is what
 * is judged, not the syntax.
 */

import fc from 'fast-check';

const ODD_NUMBERS = [
  '0',
  '-0',
  '+0',
  '-1',
  '+1',
  '007',
  '010',
  '0x10',
  '0xFFFF',
  '0X10',
  '0o17',
  '0b101',
  '1e3',
  '1E3',
  '1e+3',
  '2e5',
  '1.0',
  '1.5',
  '65535.0',
  '65535.0000001',
  '1e308',
  '1e309',
  '-1e308',
  '5e-324',
  '.inf',
  '-.inf',
  '.Inf',
  '.nan',
  '.NaN',
  'NaN',
  'nan',
  'Infinity',
  '-Infinity',
  'inf',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '18446744073709551615',
  '18446744073709551616',
  '4294967295',
  '4294967296',
  '2147483647',
  '2147483648',
  '99999999999999999999999999999999',
  '1_000',
  '~',
  'null',
  'true',
  'false',
  '"80"',
  "'80'",
  '"2xx"',
  '"200-399"',
  '"399-200"',
  '"5xx"',
  '"6xx"',
  '"100-599"',
  '"099"',
  '١٠',
  '１０',
] as const;

const nearBound = (min: number, max: number) =>
  fc.oneof(fc.integer({ min: min - 3, max: min + 3 }), fc.integer({ min: max - 3, max: max + 3 }), fc.integer({ min, max }));

/** An integer near the field's bounds, spelled as the decoration says. */
const decorated = (min: number, max: number) =>
  fc
    .tuple(nearBound(min, max), fc.constantFrom('plain', 'zeros', 'plus', 'hex', 'octal', 'exp', 'float', 'half', 'neg'), fc.integer({ min: 1, max: 6 }))
    .map(([n, how, k]) => {
      const a = Math.abs(n);
      const sign = n < 0 ? '-' : '';
      if (how === 'zeros') return `${sign}${'0'.repeat(k)}${a}`;
      if (how === 'plus') return n < 0 ? String(n) : `+${n}`;
      if (how === 'hex') return `${sign}0x${a.toString(16)}`;
      if (how === 'octal') return `${sign}0o${a.toString(8)}`;
      if (how === 'exp') return `${sign}${a / 10 ** k}e${k}`;
      if (how === 'float') return `${n}.${'0'.repeat(k)}`;
      if (how === 'half') return `${n}.5`;
      if (how === 'neg') return String(-a);
      return String(n);
    });

export const numberText = (min: number, max: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ODD_NUMBERS) },
    { weight: 4, arbitrary: decorated(min, max) },
    { weight: 1, arbitrary: fc.double().map(String) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789+-.eExXoO_'.split('')), minLength: 1, maxLength: 12 }) },
  );

const ODD_DURATIONS = [
  '99999999999h',
  '1e308s',
  '1e3s',
  '-1s',
  '+1s',
  '1.5s',
  '0.5ms',
  '0.0015s',
  '0.001s',
  '1.0001s',
  '0ms',
  '0s',
  '1h',
  '168h',
  '169h',
  '10080m',
  '604800s',
  '604800000ms',
  '604800001ms',
  '2562047788015h',
  '2562047788016h',
  '9007199254740991ms',
  '9007199254740992ms',
  '0x10s',
  '010s',
  '1h1h',
  '1m60s',
  '1s1m',
  's',
  '1',
  '5',
  '1 s',
  '1S',
  '1H',
  '1d',
  '1us',
  'NaNs',
  'Infinitys',
  '.infs',
  '٣s',
  '1sec',
  '1hh',
  '.5s',
  '5.s',
  '~',
  '',
] as const;

const UNITS = ['ms', 's', 'm', 'h', '', 'S', 'd', 'us'] as const;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A duration near the field's bounds in one unit, exact or not quite. */
const nearDuration = (min: number, max: number) =>
  fc.tuple(nearBound(min, max), fc.constantFrom('ms', 's', 'm', 'h')).map(([ms, unit]) => {
    const n = ms / UNIT_MS[unit]!;
    return `${Number.isInteger(n) ? n : n.toFixed(4)}${unit}`;
  });

const composed = fc
  .array(
    fc.tuple(
      fc.oneof(fc.nat({ max: 200 }).map(String), fc.bigInt({ min: 0n, max: 10n ** 22n }).map(String)),
      fc.option(fc.stringMatching(/^[0-9]{1,4}$/)),
      fc.constantFrom(...UNITS),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((parts) => parts.map(([whole, frac, unit]) => `${whole}${frac === null ? '' : `.${frac}`}${unit}`).join(''));

export const durationText = (min: number, max: number): fc.Arbitrary<string> =>
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ODD_DURATIONS) }, { weight: 3, arbitrary: nearDuration(min, max) }, { weight: 3, arbitrary: composed });

export const portText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0', '1', '80', '65535', '65536', '080', '00080', '000080', '0x50', '-1', '+80', '1e2', '80.0', '', '99999999999', '٨٠', '8O'),
  nearBound(1, 65_535).map(String),
  fc.tuple(fc.integer({ min: 0, max: 70_000 }), fc.integer({ min: 0, max: 4 })).map(([n, z]) => `${'0'.repeat(z)}${n}`),
);
