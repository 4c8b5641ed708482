// What a companion process (router, local agent) says it is; a restarted server adopts only
// companions of its own version (an upgrade replaces them, see docs/scale-out.md).
import { PROTOCOL_VERSION } from '../agent/protocol.js';

// `spaces`: the local agent answers the private spaces routes (companion-spaces.ts); an agent without them is replaced.
// `outlive`: its dynos outlive it (recorded, adopted by the next process; SIGUSR2 hands them over), the router reaches them directly.
// `addons`: apps' add-on servers outlive it too (an agent without it stops them with itself, so it is replaced).
export const COMPANION_VERSION = `slipway-0.1.0/protocol-${PROTOCOL_VERSION}/spaces/outlive/addons`;

/** The version a companion reports and a server adopts: COMPANION_VERSION, with the test/ops tag (SLIPWAY_TEST_COMPANION_VERSION_TAG) when set. */
export function companionVersion(tag: string | undefined): string {
  return tag ? `${COMPANION_VERSION}+${tag}` : COMPANION_VERSION;
}
