// What the local agent process answers on its companion socket besides who it is: its host's app
// add-on servers and private spaces, once its host is set up (503 before).
import type { CompanionHost } from '../agent/agent.js';
import type { CompanionRoutes } from './identity-socket.js';
import { jsonRoutes, type JsonRoute } from './companion-call.js';
import { addonRoutes } from './companion-addons.js';
import { spaceRoutes } from './companion-spaces.js';

/** The routes (`serve`), answered once `hostIs` was called with the agent's host. */
export function companionRoutes(): { serve: CompanionRoutes; hostIs(h: CompanionHost): void } {
  let routes: Record<string, JsonRoute> | undefined;
  return {
    serve: jsonRoutes(() => routes),
    hostIs: (h) => { routes = { ...addonRoutes(h.addons), ...spaceRoutes(h.spaces, h.planFile) }; },
  };
}
