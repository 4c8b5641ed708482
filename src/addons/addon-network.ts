// Where an add-on server listens: in a namespace of its own on the default network, reachable only
// from its owner's sandboxes (an app's, a test run's: see spaces/default-rules.ts), or on the
// host's loopback when the server runs sandboxes on the host network.
import type { DynoNet } from '../spaces/space-network.js';

export interface AddonNetwork {
  /** A namespace for an add-on of `group` (`app:<id>`, `run:<id>`), at `address` if it is free; undefined on the host network. */
  forAddon(group: string, id: string, address?: string): Promise<DynoNet | undefined>;
}

export interface AddonPlace { host: string; netns?: string; release(): Promise<void> }

/** Place one add-on server; `release` gives its namespace back once the server has stopped. */
export async function placeAddon(network: AddonNetwork | undefined, group: string, id: string, address?: string): Promise<AddonPlace> {
  const net = await network?.forAddon(group, id, address);
  return net ? { host: net.address, netns: net.netns, release: () => net.release() } : { host: '127.0.0.1', release: async () => {} };
}

/** The host part of an add-on's URL (where it listened before a restart). */
export function urlHost(url: string): string | undefined {
  try { return new URL(url).hostname || undefined; } catch { return undefined; }
}
