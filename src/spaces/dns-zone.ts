// What a space's resolver answers: `<process>.<app>.app.localspace` → every dyno of that process
// type, `<n>.<process>.<app>.app.localspace` → dyno n; NXDOMAIN for other names in the zone.
import { RCODE, TYPE_A } from './dns-packet.js';

export const ZONE = 'app.localspace';

export interface ZoneEntry { app: string; process: string; index: number; address: string }

export function answer(entries: Iterable<ZoneEntry>, name: string, type: number): { rcode: number; addresses: string[] } {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n !== ZONE && !n.endsWith(`.${ZONE}`)) return { rcode: RCODE.refused, addresses: [] };
  const labels = n === ZONE ? [] : n.slice(0, -ZONE.length - 1).split('.');
  let match: ZoneEntry[] = [];
  if (labels.length === 2) match = [...entries].filter((e) => e.process === labels[0] && e.app === labels[1]);
  else if (labels.length === 3 && /^\d+$/.test(labels[0]!)) match = [...entries].filter((e) => e.index === Number(labels[0]) && e.process === labels[1] && e.app === labels[2]);
  if (!match.length) return { rcode: RCODE.nxDomain, addresses: [] };
  // The name exists: other record types get an empty answer, not NXDOMAIN (resolvers ask for AAAA too).
  return { rcode: RCODE.ok, addresses: type === TYPE_A ? match.map((e) => e.address).sort() : [] };
}
