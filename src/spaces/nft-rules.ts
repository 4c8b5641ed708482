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
// A space that spans hosts (space-overlay.ts) has a VXLAN device VX beside BR:
//   forward: BR→VX and VX→BR accept (its dynos on other hosts); anything else in or out of a
//            Slipway VXLAN device is rejected, so no other space and no default-network sandbox
//            reaches the overlay, and nothing from the overlay reaches anything but its space.
//   input:   the VXLAN port only from the peers' underlay addresses (else anyone on the operator's
//            network could inject frames into a space: a packet with its VNI is all it takes), and
//            nothing from VX to the host itself.
//   forward: no sandbox's packet to the VXLAN port is routed anywhere: masqueraded, a tenant's
//            packet would leave with this host's address, a peer's.

export interface EgressRule { cidr: string; port?: number }
export interface SpaceFirewall { bridge: string; cidr: string; gateway: string; egress: string; egressRules: EgressRule[]; overlay?: string }

/** The overlay's guard: its UDP port, the peers it accepts it from, the prefix of the VXLAN devices, and of the sandboxes' bridges (spaces' and the default network's). */
export interface OverlayGuard { port: number; peers: string[]; devicePrefix: string; sandboxPrefixes: string[] }

const q = (s: string) => JSON.stringify(s);

/** An nft script that replaces table `inet <table>` (or deletes it when there are no spaces). */
export function rulesetScript(table: string, bridgePrefix: string, serverUid: number, spaces: SpaceFirewall[], guard?: OverlayGuard): string {
  // Declaring first makes the delete succeed whether or not the table exists: one atomic swap.
  const reset = `table inet ${table}\ndelete table inet ${table}\n`;
  if (!spaces.length) return reset;
  const forward: string[] = [];
  const input: string[] = [];
  const output: string[] = [];
  const nat: string[] = [];
  if (guard) {
    forward.push(...guard.sandboxPrefixes.map((p) => `iifname ${q(`${p}*`)} udp dport ${guard.port} drop`));
    input.push(guard.peers.length ? `udp dport ${guard.port} ip saddr != { ${guard.peers.join(', ')} } drop` : `udp dport ${guard.port} drop`, `iifname ${q(`${guard.devicePrefix}*`)} drop`);
  }
  for (const s of spaces) {
    const br = q(s.bridge);
    forward.push(`iifname ${br} oifname ${br} accept`);
    if (s.overlay) forward.push(`iifname ${br} oifname ${q(s.overlay)} accept`, `iifname ${q(s.overlay)} oifname ${br} accept`);
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
  if (guard) {
    const dev = q(`${guard.devicePrefix}*`);
    forward.push(`iifname ${dev} reject`, `oifname ${dev} reject`);
    output.push(`oifname ${dev} ct state established,related accept`, `oifname ${dev} reject`);
  }
  const chain = (name: string, head: string, rules: string[]) => `  chain ${name} {\n    ${head}\n${rules.map((r) => `    ${r}\n`).join('')}  }\n`;
  return reset + `table inet ${table} {\n`
    + chain('forward', 'type filter hook forward priority filter; policy accept;', forward)
    + chain('input', 'type filter hook input priority filter; policy accept;', input)
    + chain('output', 'type filter hook output priority filter; policy accept;', output)
    + chain('egress_nat', 'type nat hook input priority 100; policy accept;', nat)
    + '}\n';
}
