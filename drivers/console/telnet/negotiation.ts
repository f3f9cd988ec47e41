import { DO, DONT, Option, WILL, WONT, type Verb } from './constants.js';
import { negotiationFrame } from './writer.js';

/**
 * Telnet option negotiation (RFC 855) as RFC 1143's "Q method", simplified to the three states a
 * client that never switches an option off needs: no, yes, and wantyes (asked, not yet answered).
 * It answers each request once and never answers an acknowledgement, so two peers cannot loop
 * (console servers do send DO for an option they already agreed to). Options outside the policy
 * are refused. Pure: it returns the bytes to send and what changed.
 */

/** `us`: the options this end performs (WILL); `him`: the ones the peer is asked to (DO). */
export interface Policy {
  us: readonly number[];
  him: readonly number[];
}

/** RFC 2217 client: 8-bit clean both ways, no go-aheads, and we are the COM-PORT-OPTION client. */
export const RFC2217_CLIENT: Policy = {
  us: [Option.BINARY, Option.SGA, Option.COM_PORT],
  him: [Option.BINARY, Option.SGA],
};

export type Side = 'us' | 'him';

export interface OptionChange {
  side: Side;
  option: number;
  enabled: boolean;
  /** The peer turned down what we asked for (the option stays off). */
  refused: boolean;
}

export interface Reaction {
  reply: Uint8Array | null;
  change: OptionChange | null;
}

type Q = 'no' | 'yes' | 'wantyes';

const none: Reaction = { reply: null, change: null };

/** Refusals of the same unwanted option answered before they are ignored: a guard against a peer that asks forever. */
const MAX_REFUSALS = 8;

export class Negotiator {
  private readonly state: Record<Side, Map<number, Q>> = { us: new Map(), him: new Map() };
  private readonly refusalsSent = new Map<number, number>();
  private readonly refusedByPeer: { side: Side; option: number }[] = [];

  constructor(private readonly policy: Policy = RFC2217_CLIENT) {}

  /** Our requests: WILL for each option we perform, DO for each we want the peer to. */
  start(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const option of this.policy.us) {
      if (this.get('us', option) !== 'no') continue;
      this.state.us.set(option, 'wantyes');
      out.push(negotiationFrame(WILL, option));
    }
    for (const option of this.policy.him) {
      if (this.get('him', option) !== 'no') continue;
      this.state.him.set(option, 'wantyes');
      out.push(negotiationFrame(DO, option));
    }
    return out;
  }

  /** The peer's IAC verb option: what to answer and what it changed. */
  receive(verb: Verb, option: number): Reaction {
    // WILL/WONT are about the peer's side of the option, DO/DONT about ours.
    const side: Side = verb === WILL || verb === WONT ? 'him' : 'us';
    const positive = verb === WILL || verb === DO;
    const [agree, refuse]: [Verb, Verb] = side === 'him' ? [DO, DONT] : [WILL, WONT];
    const now = this.get(side, option);
    const wanted = this.policy[side].includes(option);
    if (positive) {
      if (now === 'yes') return none;
      if (now === 'wantyes') return this.set(side, option, 'yes', null, false);
      if (wanted) return this.set(side, option, 'yes', negotiationFrame(agree, option), false);
      const sent = this.refusalsSent.get(option) ?? 0;
      if (sent >= MAX_REFUSALS) return none;
      this.refusalsSent.set(option, sent + 1);
      return { reply: negotiationFrame(refuse, option), change: null };
    }
    if (now === 'no') return none;
    if (now === 'wantyes') {
      this.refusedByPeer.push({ side, option });
      return this.set(side, option, 'no', null, true);
    }
    // An option that was on is switched off: acknowledge, as RFC 854 requires.
    return this.set(side, option, 'no', negotiationFrame(refuse, option), false);
  }

  enabled(side: Side, option: number): boolean {
    return this.get(side, option) === 'yes';
  }

  /** Whether any of our requests is still unanswered. */
  get pending(): boolean {
    for (const side of ['us', 'him'] as const) for (const q of this.state[side].values()) if (q === 'wantyes') return true;
    return false;
  }

  /** Our requests the peer turned down, in the order it did. */
  get refused(): readonly { side: Side; option: number }[] {
    return this.refusedByPeer;
  }

  private get(side: Side, option: number): Q {
    return this.state[side].get(option) ?? 'no';
  }

  private set(side: Side, option: number, q: Q, reply: Uint8Array | null, refused: boolean): Reaction {
    this.state[side].set(option, q);
    return { reply, change: { side, option, enabled: q === 'yes', refused } };
  }
}
