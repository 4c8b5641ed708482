// A sandbox whose every command runs inside one network namespace (a CI node placed in a space).
import type { Sandbox } from '../sandbox/sandbox.js';

export function inNetns(s: Sandbox, netns: string): Sandbox {
  return {
    mode: s.mode, user: s.user, warning: s.warning, ownedDir: (d, t) => s.ownedDir(d, t),
    run: (spec) => s.run({ ...spec, netns }),
    start: (spec) => s.start({ ...spec, netns }),
    adopt: (a) => s.adopt(a),
  };
}
