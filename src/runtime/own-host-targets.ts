// Which web dynos a router may forward to: never one at an address of the router's own host
// (loopback, unspecified, one of its interfaces), where it would reach that host's own services on
// an agent's word, unless the dyno is the local agent's of the server beside the router. The server
// checks this at each report against its own host; each router checks it again against its own,
// as a router or a replica may run on another host than the server that took the report. Never a
// link-local (cloud metadata), multicast or broadcast address, whoever reported it.
import type { WebTarget } from './router.js';
import { neverADyno } from '../core/this-host-address.js';

export interface OwnHostCheck {
  /** Whether an address reaches this host (this-host-address.ts's `thisHostCheck()`). */
  atThisHost(host: string): boolean;
  /** Whether this router runs beside the server that sent the table (so that server's `own` dynos are on this host). */
  besideServer: boolean;
  /** A dyno left out (said once per dyno and address by the caller). */
  refused(t: WebTarget): void;
}

/** The targets a router on this host may forward to. */
export function routableTargets(targets: WebTarget[], c: OwnHostCheck): WebTarget[] {
  return targets.filter((t) => {
    if (!neverADyno(t.host) && (!c.atThisHost(t.host) || (t.own === true && c.besideServer))) return true;
    c.refused(t);
    return false;
  });
}

/** A `refused` that says each dyno and address once, in the words an operator can act on. */
export function sayRefusedOnce(say: (line: string) => void, where: string): (t: WebTarget) => void {
  const said = new Set<string>();
  return (t) => {
    const key = `${t.id}@${t.host}:${t.port}`;
    if (said.has(key)) return;
    said.add(key);
    say(`dyno ${t.name} (${t.id}) is reported at ${t.host}:${t.port}, ${neverADyno(t.host) ? 'a link-local, multicast or broadcast address, where no dyno is (a cloud\'s metadata service answers at 169.254.169.254); it is not routed' : `an address of ${where}; it is not routed, as that would reach this host's own services`} (an agent must advertise an address of its own host)`);
  };
}
