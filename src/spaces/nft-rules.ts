// The firewall of every space, as one nftables table this server owns (so removing Slipway's rules
// is deleting that table). Generated whole and loaded atomically with `nft -f` on every change.
//
// Per space bridge BR (range CIDR, gateway GW, egress source EG):
//   forward: BR→BR accept (dynos of one space talk on any port, when bridged traffic is filtered);
//            anything else in or out of a Slipway bridge is rejected: no space reaches another
//            space, and nothing is routed off the host (ip_forward stays as it is).
//   input:   from BR only replies to the host's own connections, DNS to GW:53, and the space's egress allow-list; the rest of the
//            host (its loopback services, common-runtime dynos, the API) is rejected.
//   output:  into BR only replies and the server's own uid (router, health checks, DNS answers);
//            common-runtime dynos (the sandbox user) and other host processes are rejected.
//   nat:     whatever a dyno sends to the host (but DNS) gets the space's one egress source EG.

export interface EgressRule { cidr: string; port?: number }
export interface SpaceFirewall { bridge: string; cidr: string; gateway: string; egress: string; egressRules: EgressRule[] }

const q = (s: string) => JSON.stringify(s);

/** An nft script that replaces table `inet <table>` (or deletes it when there are no spaces). */
export function rulesetScript(table: string, bridgePrefix: string, serverUid: number, spaces: SpaceFirewall[]): string {
  // Declaring first makes the delete succeed whether or not the table exists: one atomic swap.
  const reset = `table inet ${table}\ndelete table inet ${table}\n`;
  if (!spaces.length) return reset;
  const forward: string[] = [];
  const input: string[] = [];
  const output: string[] = [];
  const nat: string[] = [];
  for (const s of spaces) {
    const br = q(s.bridge);
    forward.push(`iifname ${br} oifname ${br} accept`);
    input.push(
      // Replies to what the host opened (router, health checks); a dyno's own connections are
      // checked packet by packet, so removing an egress rule cuts flows that are already open.
      `iifname ${br} ct direction reply accept`,
      `iifname ${br} ct state related accept`,
      `iifname ${br} ip daddr ${s.gateway} meta l4proto { tcp, udp } th dport 53 accept`,
      ...s.egressRules.map((r) => `iifname ${br} ip daddr ${r.cidr}${r.port ? ` meta l4proto { tcp, udp } th dport ${r.port}` : ''} accept`),
      `iifname ${br} reject`,
    );
    output.push(
      `oifname ${br} ct state established,related,untracked accept`,
      `oifname ${br} meta skuid ${serverUid} accept`,
      `oifname ${br} reject`,
    );
    nat.push(
      `iifname ${br} ip daddr ${s.gateway} meta l4proto { tcp, udp } th dport 53 return`,
      `iifname ${br} ip saddr ${s.cidr} snat ip to ${s.egress}`,
    );
  }
  const wild = q(`${bridgePrefix}*`);
  forward.push(`iifname ${wild} reject`, `oifname ${wild} reject`);
  const chain = (name: string, head: string, rules: string[]) => `  chain ${name} {\n    ${head}\n${rules.map((r) => `    ${r}\n`).join('')}  }\n`;
  return reset + `table inet ${table} {\n`
    + chain('forward', 'type filter hook forward priority filter; policy accept;', forward)
    + chain('input', 'type filter hook input priority filter; policy accept;', input)
    + chain('output', 'type filter hook output priority filter; policy accept;', output)
    + chain('egress_nat', 'type nat hook input priority 100; policy accept;', nat)
    + '}\n';
}
