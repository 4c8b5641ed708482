// Gitea's and Forgejo's `push` and `pull_request` payloads: GitHub's shapes with a few differences
// (the pusher is `login`, new commits on a pull request are "synchronized"), read by GitHub's rules.
import { decide, type Decision } from './github-events.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a Gitea/Forgejo delivery means (events by their X-Gitea-Event / X-Forgejo-Event name). */
export function decideGitea(event: string, payload: unknown, opts: { reviewApps: boolean; reviewAutodeploy: boolean; cloneUrlOverride: string | null }): Decision {
  if (!isObj(payload)) return decide(event, payload, opts);
  const p: Obj = { ...payload };
  if (event === 'push' && isObj(p['pusher'])) {
    const pusher = p['pusher'];
    p['pusher'] = { name: pusher['login'] ?? pusher['username'] ?? pusher['name'] };
  }
  if (event === 'pull_request' && p['action'] === 'synchronized') p['action'] = 'synchronize';
  return decide(event, p, opts);
}
