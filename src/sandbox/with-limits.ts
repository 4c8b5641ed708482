// A sandbox whose every command runs under one set of limits (a build, or a CI node of a size).
import type { ResourceLimits } from '../core/dyno-size.js';
import type { Sandbox } from './sandbox.js';

export function withLimits(s: Sandbox, limits: ResourceLimits): Sandbox {
  return {
    mode: s.mode, user: s.user, warning: s.warning, ownedDir: (d, t) => s.ownedDir(d, t),
    run: (spec) => s.run({ limits, ...spec }),
    start: (spec) => s.start({ limits, ...spec }),
    adopt: (a) => s.adopt(a),
  };
}
