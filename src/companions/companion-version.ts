// What a companion process (router, local agent) says it is; a restarted server adopts only
// companions of its own version (an upgrade replaces them, see docs/scale-out.md).
import { PROTOCOL_VERSION } from '../agent/protocol.js';

// `spaces`: the local agent answers the private spaces routes (companion-spaces.ts); an agent without them is replaced.
export const COMPANION_VERSION = `slipway-0.1.0/protocol-${PROTOCOL_VERSION}/spaces`;
