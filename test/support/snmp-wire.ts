/**
 * SNMP on the wire for the replay tests: a UDP relay that records what a manager sends an agent,
 * raw datagrams sent and answered, and a reader of the clear parts of an SNMPv3 message (RFC 3412
 * section 6, RFC 3414 section 2.4) — the header always, the scoped PDU when it is not encrypted,
 * as in the reports an agent sends. Independent of net-snmp, so it checks the agent, not itself.
 */

import dgram from 'node:dgram';

export interface Relay {
  /** The port a manager sends to instead of the agent's. */
  port: number;
  /** Every datagram the manager sent, in order. */
  sent: Buffer[];
  close(): Promise<void>;
}

/**
 * Forwards datagrams from one manager at a time to the agent at 127.0.0.1:`agentPort` and the
 * agent's answers back to whoever sent last (the tools here send one request at a time).
 */
export async function startRelay(agentPort: number): Promise<Relay> {
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  const sent: Buffer[] = [];
  let manager: dgram.RemoteInfo | null = null;
  front.on('message', (msg, rinfo) => {
    manager = rinfo;
    sent.push(Buffer.from(msg));
    back.send(msg, agentPort, '127.0.0.1');
  });
  back.on('message', (msg) => {
    if (manager) front.send(msg, manager.port, manager.address);
  });
  await Promise.all([bind(front), bind(back)]);
  return {
    port: front.address().port,
    sent,
    close: async () => {
      await Promise.all([new Promise<void>((r) => front.close(() => r())), new Promise<void>((r) => back.close(() => r()))]);
    },
  };
}

function bind(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
}

/** Sends `datagram` to 127.0.0.1:`port` from a fresh socket; the first answer, or null after `timeoutMs`. */
export async function exchange(datagram: Buffer, port: number, timeoutMs = 1_500): Promise<Buffer | null> {
  const socket = dgram.createSocket('udp4');
  await bind(socket);
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      socket.once('message', (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      socket.send(datagram, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

export interface V3Message {
  msgId: number;
  /** msgFlags: 1 auth, 2 priv, 4 reportable. */
  flags: number;
  engineId: string;
  engineBoots: number;
  engineTime: number;
  userName: string;
  /** The PDU's tag (0xa2 response, 0xa3 set, 0xa8 report), or null when the scoped PDU is encrypted. */
  pduType: number | null;
  /** The OIDs of the PDU's varbinds, dotted, with each value when it is an integer of some kind. */
  varbinds: { oid: string; value: number | null }[];
}

interface Tlv {
  tag: number;
  content: Buffer;
  /** Where the next TLV starts. */
  end: number;
}

function tlv(buf: Buffer, at: number): Tlv {
  const tag = buf[at]!;
  let length = buf[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[start + i]!;
    start += n;
  }
  if (start + length > buf.length) throw new Error(`BER: TLV at ${at} runs past the end`);
  return { tag, content: buf.subarray(start, start + length), end: start + length };
}

/** The TLVs inside a constructed TLV's content. */
function children(content: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < content.length;) {
    const t = tlv(content, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** Two's complement, as BER encodes INTEGER (and, with a leading 0 byte when needed, the unsigned SMI types). */
function integer(t: Tlv): number {
  let n = 0;
  for (const b of t.content) n = n * 256 + b;
  if (t.content.length > 0 && t.content[0]! & 0x80) n -= 2 ** (8 * t.content.length);
  return n;
}

function oid(t: Tlv): string {
  const arcs: number[] = [];
  let v = 0;
  for (const b of t.content) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (arcs.length === 0) arcs.push(Math.min(2, Math.floor(v / 40)), v - Math.min(2, Math.floor(v / 40)) * 40);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

/** Integer-valued SMI tags: INTEGER, Counter32, Gauge32, TimeTicks. */
const INTEGER_TAGS = new Set([0x02, 0x41, 0x42, 0x43]);

/** The clear parts of an SNMPv3 message; throws on anything else. */
export function readV3(buf: Buffer): V3Message {
  const [version, header, security, data] = children(tlv(buf, 0).content);
  if (!version || integer(version) !== 3 || !header || !security || !data) throw new Error('not an SNMPv3 message');
  const [msgId, , flags] = children(header.content);
  const [engineId, boots, time, user] = children(tlv(security.content, 0).content);
  if (!msgId || !flags || !engineId || !boots || !time || !user) throw new Error('SNMPv3 header incomplete');
  const out: V3Message = {
    msgId: integer(msgId),
    flags: flags.content[0] ?? 0,
    engineId: engineId.content.toString('hex'),
    engineBoots: integer(boots),
    engineTime: integer(time),
    userName: user.content.toString('utf8'),
    pduType: null,
    varbinds: [],
  };
  if (data.tag !== 0x30) return out;
  const pdu = children(data.content)[2];
  if (!pdu) throw new Error('scoped PDU incomplete');
  out.pduType = pdu.tag;
  const list = children(pdu.content)[3];
  for (const vb of list ? children(list.content) : []) {
    const [name, value] = children(vb.content);
    out.varbinds.push({ oid: oid(name!), value: value && INTEGER_TAGS.has(value.tag) ? integer(value) : null });
  }
  return out;
}

export const PduTag = { response: 0xa2, set: 0xa3, report: 0xa8 } as const;
