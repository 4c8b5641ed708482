// What a crashed process left of its networks: every namespace, link, resolv.conf and firewall
// table of its tag (names carry it), and of any other tag whose owner is not running (owners.ts).
import type { Logger } from '../app-context.js';
import { orphanTags } from './owners.js';
import { ip, nft, quietly, listLinks, listNetns, listNetnsEtc, removeNetnsEtc } from './net.js';

/**
 * Remove what `tag` and ownerless tags hold; `keep`: bridges, namespaces and links of `tag` adopted
 * by the caller (whose tables stay too: each is replaced whole, in one atomic swap, when its firewall is loaded).
 */
export async function sweepNetworks(tag: string, keep: ReadonlySet<string>, log: Logger): Promise<void> {
  const tags = await sweepOnce(tag, keep, log);
  // Checked: a removal that failed (an `ip` that timed out on a loaded host) is tried once more, and said.
  const left = await leftOf(tags, keep);
  if (!left.netns.length && !left.links.length) return;
  const failed: string[] = [];
  for (const ns of left.netns) await ip(['netns', 'del', ns]).catch((e: Error) => { failed.push(e.message); });
  for (const l of left.links) await ip(['link', 'del', l]).catch((e: Error) => { failed.push(e.message); });
  const still = await leftOf(tags, keep);
  const what = [...still.netns, ...still.links];
  log.warn(what.length
    ? `could not remove ${what.join(', ')} (${failed.join('; ')}); the next start of this server sweeps them again`
    : `removed ${[...left.netns, ...left.links].join(', ')} only at the second try`);
}

/** What is still there of `tags` (but `keep`). */
async function leftOf(tags: string[], keep: ReadonlySet<string>): Promise<{ netns: string[]; links: string[] }> {
  const mine = (name: string, prefixes: string[]) => !keep.has(name) && tags.some((t) => prefixes.some((p) => name.startsWith(p + t)));
  return {
    netns: (await listNetns()).filter((n) => mine(n, ['slipway-'])),
    links: (await listLinks()).filter((l) => mine(l, ['slw', 'slv', 'sln', 'slx'])),
  };
}

async function sweepOnce(tag: string, keep: ReadonlySet<string>, log: Logger): Promise<string[]> {
  const netns = await listNetns();
  const links = await listLinks();
  const listed = (await nft('list tables\n').catch(() => '')).split('\n');
  const tables = listed.map((l) => / slipway_([0-9a-f]{4})$/.exec(l)?.[1]).filter((t): t is string => !!t);
  const commonTables = listed.map((l) => / slipwaynet_([0-9a-f]{4})$/.exec(l)?.[1]).filter((t): t is string => !!t);
  tables.push(...commonTables.filter((t) => !tables.includes(t)));
  const tags = [...new Set([tag, ...orphanTags(netns, links, tables)])];
  for (const t of tags) {
    for (const ns of netns) if (ns.startsWith(`slipway-${t}-`) && !keep.has(ns)) await quietly(ip(['netns', 'del', ns]));
    for (const l of links) if (!keep.has(l) && (l.startsWith(`slw${t}`) || l.startsWith(`slv${t}`) || l.startsWith(`sln${t}`) || l.startsWith(`slx${t}`))) await quietly(ip(['link', 'del', l]));
    for (const d of listNetnsEtc()) if (d.startsWith(`slipway-${t}-`) && !keep.has(d)) removeNetnsEtc(d);
    if (tables.includes(t) && !(t === tag && [...keep].some((k) => k.startsWith(`slw${t}`)))) await quietly(nft(`delete table inet slipway_${t}\n`));
    if (commonTables.includes(t) && !(t === tag && keep.has(`sln${t}`))) await quietly(nft(`delete table inet slipwaynet_${t}\n`));
    if (t !== tag) log.warn(`removed the space networks left behind by a server that is gone (tag ${t})`);
  }
  return tags;
}
