/**
 * Replay protection for the heartbeat channel: per peer unit and link, the highest (epoch,
 * sequence number) accepted so far. A message is new only if it is strictly above: a recorded
 * heartbeat played back later (or a duplicate) is refused. The epoch is the sender's boot id,
 * strictly increasing across its boots, so a restarted member's sequence may start again at 1.
 * `check` never changes anything; `commit` records, and the caller commits only a message it
 * accepted whole (a well-formed header with a body that fails to decode must not advance).
 */
import type { LinkName } from './envelope.js';

interface Mark {
  epoch: number;
  seq: number;
}

export class ReplayGuard {
  private readonly marks = new Map<string, Mark>();

  /** Whether (epoch, seq) from `unit` on `link` is above everything accepted from it. */
  isNew(unit: number, link: LinkName, epoch: number, seq: number): boolean {
    const last = this.marks.get(`${unit}/${link}`);
    return last === undefined || epoch > last.epoch || (epoch === last.epoch && seq > last.seq);
  }

  commit(unit: number, link: LinkName, epoch: number, seq: number): void {
    this.marks.set(`${unit}/${link}`, { epoch, seq });
  }

  /** The last accepted mark (for messages and tests). */
  last(unit: number, link: LinkName): Mark | undefined {
    return this.marks.get(`${unit}/${link}`);
  }
}
