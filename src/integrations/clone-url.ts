// Which clone URLs a webhook may make the server fetch from. The payload's `clone_url` is written by
// whoever can send a signed delivery (or open a pull request from a fork), and root runs `git fetch`
// on it: only a network URL to the host the pipeline was connected to may reach git, never an
// option (`--upload-pack=…`), a local path (`/srv/other-app.git`, `file://`) or a remote helper (`ext::`).

import { gitHostOf } from './git-hosts.js';

const PROTOCOLS = new Set(['https:', 'http:', 'ssh:']);

export type CloneUrlCheck = { ok: true; url: string } | { ok: false; message: string };

/** A clone URL's shape alone: https, http or ssh with a host, nothing git could read as an option or path. */
export function checkCloneUrlShape(raw: string): CloneUrlCheck {
  const shown = JSON.stringify(raw.slice(0, 200));
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\s\x00-\x1f\x7f]/.test(raw)) return { ok: false, message: `clone URL ${shown} contains whitespace or control characters` };
  let url: URL;
  try { url = new URL(raw); } catch { return { ok: false, message: `clone URL ${shown} is not a URL: use https://HOST/OWNER/REPO.git (or http://, ssh://)` }; }
  if (!PROTOCOLS.has(url.protocol)) return { ok: false, message: `clone URL ${shown} uses ${url.protocol.replace(/:$/, '')}: only https, http and ssh URLs are fetched (never local paths, file:// or ext::)` };
  // A host or user starting with "-" is read as an ssh option (CVE-2017-1000117).
  if (!url.hostname || url.hostname.startsWith('-') || decodeURIComponent(url.username).startsWith('-')) return { ok: false, message: `clone URL ${shown} has no usable host` };
  return { ok: true, url: url.href };
}

/** The hosts (host[:port], lower case) a pipeline's webhooks may fetch from. */
export function allowedCloneHosts(p: { repo_clone_url: string | null; status_api_url: string | null; repo_provider?: string | null }): string[] {
  const hostOf = (u: string | null): string | null => { try { return u ? new URL(u).host.toLowerCase() : null; } catch { return null; } };
  // The --clone-url given at connect time names the one host; otherwise the provider's public host
  // (github.com, gitlab.com), or the host the commit statuses go to (GitHub Enterprise, a GitLab of
  // one's own, Gitea and Forgejo serve git and their API from one host).
  const own = hostOf(p.repo_clone_url);
  if (own) return [own];
  const api = hostOf(p.status_api_url);
  const home = gitHostOf(p).defaultGitHost;
  return [...new Set([...(home ? [home] : []), ...(api ? [api === 'api.github.com' ? 'github.com' : api] : [])])];
}

/** A webhook's clone URL: accepted only with a good shape and on one of `hosts`. */
export function checkCloneUrl(raw: string, hosts: string[]): CloneUrlCheck {
  const shape = checkCloneUrlShape(raw);
  if (!shape.ok) return shape;
  const host = new URL(shape.url).host.toLowerCase();
  if (!hosts.includes(host)) {
    return { ok: false, message: `clone URL ${JSON.stringify(raw.slice(0, 200))} is on ${host}, but this pipeline fetches only from ${hosts.join(', ')} (set another with \`slipway pipelines:connect --clone-url\`)` };
  }
  return shape;
}
