/**
 * The Prometheus remote-write body, `prometheus.WriteRequest`, as protobuf bytes — only the part
 * a sender needs (prompb/remote.proto, types.proto):
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 *
 * Invariant: `encodeWriteRequest` writes exactly `writeRequestSize` bytes, every field present
 * (proto3 lets a default be left out; writing it is equally valid and keeps one code path), in
 * field order, each message length-prefixed. The sizes are computed before writing so that the
 * whole body is one allocation and no nested message is copied.
 *
 * Labels go out as given: sorting them by name and including `__name__` is the caller's job
 * (series-labels.ts), since Prometheus refuses a series whose labels are not sorted.
 */

export interface Label {
  name: string;
  value: string;
}

export interface Sample {
  value: number;
  /** ms since the epoch; a whole number, 0 ≤ t < 2^53. */
  timestamp: number;
}

export interface TimeSeries {
  labels: readonly Label[];
  samples: readonly Sample[];
}

export class WriteRequestError extends Error {
  override readonly name = 'WriteRequestError';
}

// Wire types of the protobuf encoding.
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

const tag = (field: number, wire: number) => (field << 3) | wire;

/** Bytes of `n` as a base-128 varint, for 0 ≤ n < 2^53. */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

const encoder = new TextEncoder();

function stringSize(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** A field of a length-delimited value of `length` bytes: tag, length, bytes. */
const delimitedSize = (length: number) => 1 + varintSize(length) + length;

function labelSize(l: Label): number {
  return delimitedSize(stringSize(l.name)) + delimitedSize(stringSize(l.value));
}

function sampleSize(s: Sample): number {
  return 1 + 8 + 1 + varintSize(s.timestamp);
}

function seriesSize(ts: TimeSeries): number {
  let size = 0;
  for (const l of ts.labels) size += delimitedSize(labelSize(l));
  for (const s of ts.samples) size += delimitedSize(sampleSize(s));
  return size;
}

export function writeRequestSize(series: readonly TimeSeries[]): number {
  let size = 0;
  for (const ts of series) size += delimitedSize(seriesSize(ts));
  return size;
}

/** Appends to a buffer allocated to the exact size of what is written. */
class Writer {
  private pos = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  varint(n: number): void {
    // Arithmetic rather than bit operators: those truncate to 32 bits, and a timestamp in ms needs 41.
    while (n >= 0x80) {
      this.bytes[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.bytes[this.pos++] = n;
  }

  double(x: number): void {
    this.view.setFloat64(this.pos, x, true);
    this.pos += 8;
  }

  string(field: number, s: string): void {
    const length = stringSize(s);
    this.varint(tag(field, LENGTH_DELIMITED));
    this.varint(length);
    const { written } = encoder.encodeInto(s, this.bytes.subarray(this.pos, this.pos + length));
    this.pos += written;
  }

  /** The tag and length of a nested message, whose fields the caller writes next. */
  message(field: number, length: number): void {
    this.varint(tag(field, LENGTH_DELIMITED));
    this.varint(length);
  }

  get written(): number {
    return this.pos;
  }
}

function checkSample(s: Sample): void {
  if (!Number.isSafeInteger(s.timestamp) || s.timestamp < 0)
    throw new WriteRequestError(`sample timestamp must be a whole number of ms from 0 to 2^53, got ${s.timestamp}`);
}

export function encodeWriteRequest(series: readonly TimeSeries[]): Uint8Array {
  for (const ts of series) for (const s of ts.samples) checkSample(s);
  const size = writeRequestSize(series);
  const w = new Writer(new Uint8Array(size));
  for (const ts of series) {
    w.message(1, seriesSize(ts));
    for (const l of ts.labels) {
      w.message(1, labelSize(l));
      w.string(1, l.name);
      w.string(2, l.value);
    }
    for (const s of ts.samples) {
      w.message(2, sampleSize(s));
      w.varint(tag(1, FIXED64));
      w.double(s.value);
      w.varint(tag(2, VARINT));
      w.varint(s.timestamp);
    }
  }
  // A mismatch would be a bug here, and a body Prometheus cannot parse: fail loudly instead.
  if (w.written !== size) throw new WriteRequestError(`encoded ${w.written} bytes, expected ${size}`);
  return w.bytes;
}
