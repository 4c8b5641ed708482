// The firewall of the default network (the common runtime), as one nftables table per server,
// generated whole and loaded atomically. Every sandbox namespace has a /32 behind the host, and
// the bridge's ports are isolated, so every packet between namespaces is routed by the host and
// passes this table:
//   forward: namespace → namespace only for pairs in @access (an app's or a run's sandboxes to
//            its own add-ons), plus replies; namespace → the world accepted (masqueraded), except
//            link-local (cloud metadata); the world → a namespace only replies.
//   input:   from the bridge only replies to the host's own connections, DNS to the gateway, and a
//            group's relays (@relays: its database on the operator's server, tcp-relay.ts), and
//            the router's door on the gateway (apps' public URLs, as from the internet): the API,
//            sshd, an operator's database are all refused.
//   output:  into the bridge only replies, the server's own uid (the router, boot checks), and the
//            rest of connections those opened (what the kernel sends for a socket already closed:
//            the last ACK from TIME-WAIT, a reset; it carries no uid, and dropping it left dynos
//            retransmitting to the router for ~100 s after each connection the host closed first).
//   nat:     masquerade what leaves the host from the network's range.

export interface DefaultFirewall { table: string; bridge: string; cidr: string; gateway: string; serverUid: number; access: Array<[string, string]>; relays: Array<[string, number]>; routerPort?: number }

const q = (s: string) => JSON.stringify(s);

/** An nft script that replaces table `inet <table>` with the default network's rules. */
export function defaultRulesScript(f: DefaultFirewall): string {
  const br = q(f.bridge);
  const elements = (list: string[]) => (list.length ? `    elements = { ${list.join(', ')} }\n` : '');
  const chain = (name: string, head: string, rules: string[]) => `  chain ${name} {\n    ${head}\n${rules.map((r) => `    ${r}\n`).join('')}  }\n`;
  // Declaring first makes the delete succeed whether or not the table exists: one atomic swap.
  return `table inet ${f.table}\ndelete table inet ${f.table}\ntable inet ${f.table} {\n`
    + `  set access {\n    type ipv4_addr . ipv4_addr\n${elements(f.access.map(([a, b]) => `${a} . ${b}`))}  }\n`
    + `  set relays {\n    type ipv4_addr . inet_service\n${elements(f.relays.map(([a, p]) => `${a} . ${p}`))}  }\n`
    + chain('forward', 'type filter hook forward priority filter; policy accept;', [
      `iifname ${br} oifname ${br} ip saddr . ip daddr @access accept`,
      `iifname ${br} oifname ${br} ct direction reply accept`,
      `iifname ${br} oifname ${br} reject with icmpx admin-prohibited`,
      `iifname ${br} ip daddr 169.254.0.0/16 reject with icmpx admin-prohibited`,
      `iifname ${br} accept`,
      `oifname ${br} ct direction reply accept`,
      `oifname ${br} ct state related accept`,
      `oifname ${br} reject with icmpx admin-prohibited`,
    ])
    + chain('input', 'type filter hook input priority filter; policy accept;', [
      `iifname ${br} ct direction reply accept`,
      `iifname ${br} ct state related accept`,
      `iifname ${br} ip daddr ${f.gateway} udp dport 53 accept`,
      `iifname ${br} ip daddr ${f.gateway} ip saddr . tcp dport @relays accept`,
      // The router is every app's public door, from inside the network as from outside (router-door.ts).
      ...(f.routerPort ? [`iifname ${br} ip daddr ${f.gateway} tcp dport ${f.routerPort} accept`] : []),
      `iifname ${br} reject with icmpx admin-prohibited`,
      // The gateway's resolver and relays serve the network only, not whoever routes to the host.
      `iifname != { ${br}, "lo" } ip daddr ${f.gateway} reject with icmpx admin-prohibited`,
    ])
    + chain('output', 'type filter hook output priority filter; policy accept;', [
      `oifname ${br} ct direction reply accept`,
      `oifname ${br} meta skuid ${f.serverUid} accept`,
      // A connection is established only once its first packet passed the rule above: a new one never is.
      `oifname ${br} ct state established accept`,
      `oifname ${br} reject with icmpx admin-prohibited`,
    ])
    + chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', [
      `ip saddr ${f.cidr} oifname != ${br} masquerade`,
    ])
    + '}\n';
}

/** Just the access pairs and relays, swapped atomically (a sandbox or an add-on came or went). */
export function accessScript(table: string, access: Array<[string, string]>, relays: Array<[string, number]> = []): string {
  const add = (set: string, items: string[]) => (items.length ? `add element inet ${table} ${set} { ${items.join(', ')} }\n` : '');
  return `flush set inet ${table} access\nflush set inet ${table} relays\n`
    + add('access', access.map(([a, b]) => `${a} . ${b}`)) + add('relays', relays.map(([a, p]) => `${a} . ${p}`));
}
