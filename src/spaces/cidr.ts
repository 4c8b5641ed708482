// IPv4 address math for spaces: parsing CIDRs, the addresses Slipway reserves in a space's
// range (gateway, stable egress), allocating dyno addresses, and trusted-range matching.

export interface Cidr { base: number; bits: number }

const MAX = 0xffffffff;

/** 10.1.2.3 → a 32-bit unsigned number, or undefined when it is not a dotted quad. */
export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export const formatIp = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

const mask = (bits: number): number => (bits === 0 ? 0 : (MAX << (32 - bits)) >>> 0);

/** "10.213.0.0/16" (a bare address is /32); the base is normalised to the network address. */
export function parseCidr(s: string): Cidr | undefined {
  const [ip, len, extra] = s.trim().split('/');
  if (extra !== undefined || ip === undefined) return undefined;
  const base = parseIp(ip);
  const bits = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (base === undefined || !(bits >= 0 && bits <= 32)) return undefined;
  return { base: (base & mask(bits)) >>> 0, bits };
}

export const formatCidr = (c: Cidr): string => `${formatIp(c.base)}/${c.bits}`;

export const contains = (c: Cidr, ip: number): boolean => ((ip & mask(c.bits)) >>> 0) === c.base;

export const overlaps = (a: Cidr, b: Cidr): boolean => contains(a, b.base) || contains(b, a.base);

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((c) => parseCidr(c)!);

/** Why `s` cannot be a space's range (Heroku: a /16 inside RFC 1918), or undefined when it can. */
export function spaceCidrProblem(s: string): string | undefined {
  const c = parseCidr(s);
  if (!c || !s.includes('/')) return `"${s}" is not a CIDR block; write it like 10.100.0.0/16.`;
  if (c.bits !== 16) return `A space's CIDR must be a /16 (got /${c.bits}); for example 10.100.0.0/16.`;
  if (!PRIVATE.some((p) => contains(p, c.base) && contains(p, c.base + 0xffff))) return `${formatCidr(c)} is not a private (RFC 1918) range; use one inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.`;
  return undefined;
}

/** The addresses Slipway gives a space: the host's gateway on the bridge, and the one egress source. */
export function spaceAddresses(c: Cidr): { gateway: string; egress: string; prefix: number } {
  const size = 2 ** (32 - c.bits);
  return { gateway: formatIp(c.base + 1), egress: formatIp(c.base + size - 2), prefix: c.bits };
}

/** A space spanning hosts gives each a /22 of its /16 (64 hosts, 1020 dyno addresses each). */
export const SLICE_BITS = 22;

/** Slice `n` of a space's range: the part of it one host hands out. */
export const spaceSlice = (c: Cidr, n: number): Cidr => ({ base: c.base + n * 2 ** (32 - SLICE_BITS), bits: SLICE_BITS });

/** A space's VXLAN network identifier: the top 16 bits of its /16 (spaces' ranges never overlap, so neither do their VNIs). */
export const spaceVni = (c: Cidr): number => c.base >>> 16;

/**
 * Hands out dyno addresses inside a space: after the gateway, before the egress address; with a
 * slice (the space spans hosts), only inside this host's slice, never its first two addresses
 * (the first is the slice's next hop on the other hosts).
 */
export class AddressPool {
  private used = new Set<number>();
  private next!: number;
  private down!: number;
  private first!: number;
  private last!: number;
  constructor(private c: Cidr, slice?: number) { this.narrow(slice); }

  /** Hand out only from slice `n` of the range from now on (the addresses in use stay in use). */
  narrow(slice?: number): void {
    const s = slice === undefined ? this.c : spaceSlice(this.c, slice);
    const size = 2 ** (32 - s.bits);
    this.first = s.base + 2;
    this.last = Math.min(s.base + size - 3, this.c.base + 2 ** (32 - this.c.bits) - 3);
    this.next = this.first;
    this.down = this.last;
  }

  /**
   * A free address (round robin, so a released one is not reused at once), or undefined when full.
   * `top`: counting down from the end of the range, for addresses that must be free again after a
   * restart (add-ons keep theirs, and the sandboxes started first, counting up, never reach them).
   */
  take(end: 'bottom' | 'top' = 'bottom'): string | undefined {
    const span = this.last - this.first + 1;
    for (let i = 0; i < span; i++) {
      const ip = end === 'top' ? this.down : this.next;
      if (end === 'top') this.down = ip <= this.first ? this.last : ip - 1;
      else this.next = ip >= this.last ? this.first : ip + 1;
      if (!this.used.has(ip)) { this.used.add(ip); return formatIp(ip); }
    }
    return undefined;
  }

  /** Take this address (an add-on's, or an adopted dyno's, again after a restart); false when it is outside the space's range or taken. */
  claim(ip: string): boolean {
    const n = parseIp(ip);
    // The whole range, not only the slice: a dyno started before its host had a slice keeps its address.
    if (n === undefined || n < this.c.base + 2 || n > this.c.base + 2 ** (32 - this.c.bits) - 3 || this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }

  give(ip: string): void { const n = parseIp(ip); if (n !== undefined) this.used.delete(n); }
  get size(): number { return this.used.size; }
}

/** Whether a client address (IPv4, or IPv4-mapped IPv6) is inside any trusted range. */
export function isTrusted(ranges: readonly string[], remote: string): boolean {
  const ip = parseIp(remote.replace(/^::ffff:/i, ''));
  return ranges.some((r) => {
    const c = parseCidr(r);
    if (!c) return false;
    // 0.0.0.0/0 means "everyone", IPv6 clients included.
    if (c.bits === 0) return true;
    return ip !== undefined && contains(c, ip);
  });
}
