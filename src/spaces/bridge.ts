// The bridges sandbox namespaces hang on (the default network's, each space's) are created with a
// MAC address of their own. A Linux bridge without one takes the lowest MAC among its ports and
// changes it whenever such a port comes or goes; a namespace keeps sending to the address it knew
// for its gateway until its neighbour entry expires (10–40 s), and those frames go nowhere. A dyno
// calling its add-on just after a release phase's sandbox left the bridge stalled that long, past
// the router's 30 s (an H12 in the flow test, whichever data plane).
import { createHash } from 'node:crypto';

/** A locally administered unicast MAC derived from the bridge's name (02:…, the same after a restart). */
export function bridgeMac(name: string): string {
  const bytes = [...createHash('sha256').update(name).digest().subarray(0, 5)];
  return ['02', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** The `ip -batch` line that creates bridge `name` with its fixed MAC. */
export const addBridgeLine = (name: string): string => `link add ${name} address ${bridgeMac(name)} type bridge`;
