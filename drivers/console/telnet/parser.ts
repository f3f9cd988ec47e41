import { IAC, SB, SE, isVerb, type Verb } from './constants.js';

/**
 * The receive side of a telnet connection (RFC 854/855): an incremental parser that splits the
 * byte stream into data and telnet commands. Its state carries over between chunks, so a command
 * or an IAC IAC cut anywhere by the network parses as if it had arrived whole. Data comes out
 * with IAC IAC un-doubled; every event's bytes are copies (the caller may reuse its chunk).
 */

export type TelnetEvent =
  | { kind: 'data'; bytes: Uint8Array }
  /** A two-byte command: NOP, GA, BRK, AYT…, or a stray SE outside a subnegotiation. */
  | { kind: 'command'; command: number }
  | { kind: 'negotiation'; verb: Verb; option: number }
  /** IAC SB option value IAC SE, with IAC IAC in the value un-doubled. */
  | { kind: 'subnegotiation'; option: number; value: Uint8Array }
  /** A subnegotiation that was cut by another command or outgrew the limit; it is dropped. */
  | { kind: 'malformed'; reason: string };

/** Longest subnegotiation value kept: RFC 2217's longest is a few bytes, a signature a line. */
export const MAX_SUBNEGOTIATION = 1024;

/** Where the parser is: in data, after an IAC, after a verb, or inside IAC SB … IAC SE. */
const State = { Data: 0, Iac: 1, Verb: 2, SbOption: 3, SbData: 4, SbIac: 5 } as const;
type State = (typeof State)[keyof typeof State];

export class TelnetParser {
  private state: State = State.Data;
  private verb: Verb = 0 as Verb;
  private sbOption = 0;
  private sbValue: number[] = [];
  private sbOverflow = false;
  /** Data since the last command, as pieces of the chunk being parsed. */
  private pieces: Uint8Array[] = [];

  /** Parses the next chunk; returns its events in stream order. */
  push(chunk: Uint8Array): TelnetEvent[] {
    const events: TelnetEvent[] = [];
    let runStart = -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      switch (this.state) {
        case State.Data:
          if (b === IAC) {
            if (runStart >= 0) this.pieces.push(chunk.subarray(runStart, i));
            runStart = -1;
            this.state = State.Iac;
          } else if (runStart < 0) runStart = i;
          break;
        case State.Iac:
          this.afterIac(b, events);
          break;
        case State.Verb:
          this.flushData(events);
          events.push({ kind: 'negotiation', verb: this.verb, option: b });
          this.state = State.Data;
          break;
        case State.SbOption:
          this.sbOption = b;
          this.sbValue = [];
          this.sbOverflow = false;
          this.state = State.SbData;
          break;
        case State.SbData:
          if (b === IAC) this.state = State.SbIac;
          else this.sbByte(b);
          break;
        case State.SbIac:
          if (b === IAC) {
            this.sbByte(IAC);
            this.state = State.SbData;
          } else if (b === SE) {
            this.flushData(events);
            if (this.sbOverflow)
              events.push({ kind: 'malformed', reason: `subnegotiation of option ${this.sbOption} longer than ${MAX_SUBNEGOTIATION} bytes` });
            else events.push({ kind: 'subnegotiation', option: this.sbOption, value: Uint8Array.from(this.sbValue) });
            this.sbValue = [];
            this.state = State.Data;
          } else {
            // RFC 855 has no nesting: a command here means the SE was lost. Drop the
            // subnegotiation and take the command for what it is, so the stream resynchronises.
            this.flushData(events);
            events.push({ kind: 'malformed', reason: `subnegotiation of option ${this.sbOption} cut by IAC ${b}` });
            this.sbValue = [];
            this.afterIac(b, events);
          }
          break;
      }
    }
    if (runStart >= 0) this.pieces.push(chunk.subarray(runStart));
    // Data is handed over at the end of every chunk: holding it for the next one would delay
    // the console's answers by a network round trip.
    this.flushData(events);
    return events;
  }

  /** The byte after an IAC outside a subnegotiation. */
  private afterIac(b: number, events: TelnetEvent[]): void {
    if (b === IAC) {
      this.pieces.push(Uint8Array.of(IAC));
      this.state = State.Data;
    } else if (b === SB) {
      this.state = State.SbOption;
    } else if (isVerb(b)) {
      this.verb = b;
      this.state = State.Verb;
    } else {
      this.flushData(events);
      events.push({ kind: 'command', command: b });
      this.state = State.Data;
    }
  }

  private sbByte(b: number): void {
    if (this.sbValue.length < MAX_SUBNEGOTIATION) this.sbValue.push(b);
    else this.sbOverflow = true;
  }

  private flushData(events: TelnetEvent[]): void {
    if (this.pieces.length === 0) return;
    let size = 0;
    for (const p of this.pieces) size += p.length;
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const p of this.pieces) {
      bytes.set(p, at);
      at += p.length;
    }
    this.pieces = [];
    events.push({ kind: 'data', bytes });
  }
}
