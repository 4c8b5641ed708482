// The few bits of the DNS wire format (RFC 1035) a space's resolver needs: read one question,
// answer it with A records, NXDOMAIN or REFUSED.

export const TYPE_A = 1;
const CLASS_IN = 1;
export const RCODE = { ok: 0, formErr: 1, nxDomain: 3, refused: 5 } as const;

export interface Question { id: number; flags: number; name: string; type: number; cls: number; end: number }

/** The first question of a query, or undefined when the packet is not a well-formed query. */
export function parseQuery(buf: Buffer): Question | undefined {
  if (buf.length < 12) return undefined;
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000 || buf.readUInt16BE(4) < 1) return undefined; // a response, or no question
  const labels: string[] = [];
  let i = 12;
  for (;;) {
    if (i >= buf.length) return undefined;
    const len = buf[i]!;
    if (len === 0) { i++; break; }
    if (len > 63 || i + 1 + len > buf.length) return undefined; // no compression in questions
    labels.push(buf.toString('latin1', i + 1, i + 1 + len));
    i += 1 + len;
  }
  if (i + 4 > buf.length) return undefined;
  return { id, flags, name: labels.join('.').toLowerCase(), type: buf.readUInt16BE(i), cls: buf.readUInt16BE(i + 2), end: i + 4 };
}

/** A response echoing the question, with an A record per address (TTL `ttl`). */
export function buildResponse(query: Buffer, q: Question, rcode: number, addresses: string[] = [], ttl = 1): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR, opcode 0, AA, RD copied from the query, RA off (no recursion here).
  header.writeUInt16BE(0x8000 | 0x0400 | (q.flags & 0x0100) | (rcode & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const question = query.subarray(12, q.end);
  const answers = addresses.map((ip) => {
    const a = Buffer.alloc(16);
    a.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    a.writeUInt16BE(TYPE_A, 2);
    a.writeUInt16BE(CLASS_IN, 4);
    a.writeUInt32BE(ttl, 6);
    a.writeUInt16BE(4, 10);
    ip.split('.').forEach((p, k) => a.writeUInt8(Number(p), 12 + k));
    return a;
  });
  return Buffer.concat([header, question, ...answers]);
}
