// SLIPWAY_NETWORK at start-up: isolate every sandbox in a namespace of its own where the server
// can (root, iproute2, nftables), else say clearly that sandboxes share the host's network.
import type { Logger } from '../app-context.js';
import type { Config } from '../config.js';
import { DefaultNetwork, type AdoptedPlace } from './default-network.js';
import { hostNameservers } from './dns-relay.js';
import type { SpaceNetworks } from './space-network.js';

/** Printed by the CLI as a plain message (no stack), exit 2: the operator's setting cannot be met. */
export class NetworkUnavailableError extends Error { readonly cli = true; }

/** Bring up the default network (or not, as configured); throws when isolation is required and impossible. `adopting`: see DefaultNetwork.up. */
export async function startDefaultNetwork(config: Pick<Config, 'network' | 'networkCidr' | 'networkDns'>, spaces: SpaceNetworks, log: Logger, adopting: ReadonlyArray<AdoptedPlace> = []): Promise<void> {
  if (config.network === 'host') {
    log.warn('SLIPWAY_NETWORK=host: sandboxes share the host\'s network (they can reach the API, every dyno, every add-on and host service).');
    return;
  }
  const net = new DefaultNetwork({ tag: spaces.tag, log, serverUid: process.getuid?.() ?? 0, cidr: config.networkCidr, dns: config.networkDns ?? hostNameservers() });
  const why = await spaces.unavailable() ?? await net.up(adopting).then(() => undefined, async (e: Error) => { await net.down(); return e.message; });
  if (why) {
    const what = `sandboxes cannot get network namespaces of their own here (${why}; it needs root: CAP_NET_ADMIN, iproute2 and nftables)`;
    if (config.network === 'isolated') throw new NetworkUnavailableError(`SLIPWAY_NETWORK=isolated but ${what}. Run the server as root, or set SLIPWAY_NETWORK=auto to accept the host network.`);
    log.warn(`${what}: they share the host's network and can reach the API, every dyno, every add-on and host service. Set SLIPWAY_NETWORK=isolated to refuse to start instead.`);
    return;
  }
  spaces.useCommon(net);
  log.info(`Sandboxes run in network namespaces of their own on ${net.range} (outbound through NAT; DNS via ${config.networkDns?.join(', ') ?? hostNameservers().join(', ')}).`);
}
