// `spaces`, `spaces:create|info|destroy`, trusted IP ranges (inbound) and the egress allow-list (outbound).
import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { printJson, table } from '../format.js';
import { CliError } from '../errors.js';

const client = () => new ApiClient(loadCredentials());
const enc = encodeURIComponent;
interface SpaceJson { id: string; name: string; state: string; cidr: string; region: { name: string }; shield: boolean; created_at: string; outbound_ips: string[] }
interface InboundJson { rules: Array<{ action: string; source: string }> }
interface OutboundJson { rules: Array<{ target: string; from_port: number; to_port: number }> }
interface TopologyJson { apps: Array<{ id: string; internal_routing: boolean; formation: Array<{ process_type: string; dynos: Array<{ hostname: string; private_ip: string }> }> }> }

/** The space from `-s NAME` or the positional argument. */
const spaceOf = (arg: string | undefined, o: { space?: string }): string => {
  const s = o.space ?? arg;
  if (!s) throw new CliError('Which space? Pass its name, e.g. `-s my-space`.');
  return s;
};
const sOpt = (c: Command) => c.option('-s, --space <space>', 'space name');

/** "CIDR[:PORT]" → an outbound rule. */
function egressTarget(t: string): { target: string; from_port?: number; to_port?: number } {
  const m = /^([\d.]+(?:\/\d{1,2})?)(?::(\d{1,5}))?$/.exec(t);
  if (!m) throw new CliError(`"${t}" is not CIDR[:PORT], e.g. 10.213.0.1/32:8080.`);
  const target = m[1]!.includes('/') ? m[1]! : `${m[1]}/32`;
  return m[2] ? { target, from_port: Number(m[2]), to_port: Number(m[2]) } : { target };
}
const egressText = (r: OutboundJson['rules'][number]) => (r.from_port === 0 && r.to_port === 65535 ? r.target : `${r.target}:${r.from_port}`);

export function registerSpaces(program: Command): void {
  program.command('spaces').description('list private spaces').option('--json', 'output JSON').action(async (o: { json?: boolean }) => {
    const list = await client().get<SpaceJson[]>('/spaces');
    if (o.json) return printJson(list);
    console.log(list.length ? table(list.map((s) => [s.name, s.state, s.cidr, s.outbound_ips.join(', ')]), ['name', 'state', 'cidr', 'outbound IP']) : 'No spaces yet. Create one with `slipway spaces:create NAME`.');
  });
  program.command('spaces:create <name>').description('create a private space: an isolated network for its apps\' dynos')
    .option('--cidr <cidr>', 'the space\'s private /16 (default: the first free 10.X.0.0/16 from 10.100)')
    .action(async (name: string, o: { cidr?: string }) => {
      const s = await client().post<SpaceJson>('/spaces', { name, ...(o.cidr ? { cidr: o.cidr } : {}) });
      console.log(`Created space ${s.name} (${s.cidr}); outbound traffic leaves from ${s.outbound_ips.join(', ')}.`);
    });
  sOpt(program.command('spaces:info [space]').description('show a space: network, outbound IP, trusted ranges, apps and dynos').option('--json', 'output JSON'))
    .action(async (arg: string | undefined, o: { space?: string; json?: boolean }) => {
      const api = client();
      const name = spaceOf(arg, o);
      const [s, nat, inbound, outbound, topology] = await Promise.all([api.get<SpaceJson>(`/spaces/${enc(name)}`), api.get<{ sources: string[]; state: string }>(`/spaces/${enc(name)}/nat`),
        api.get<InboundJson>(`/spaces/${enc(name)}/inbound-ruleset`), api.get<OutboundJson>(`/spaces/${enc(name)}/outbound-ruleset`), api.get<TopologyJson>(`/spaces/${enc(name)}/topology`)]);
      if (o.json) return printJson({ ...s, nat, inbound_ruleset: inbound, outbound_ruleset: outbound, topology });
      const dynos = topology.apps.flatMap((a) => a.formation.flatMap((f) => f.dynos.map((d) => `${d.hostname} ${d.private_ip}`)));
      console.log([`=== ${s.name}`, `ID:           ${s.id}`, `State:        ${s.state}`, `CIDR:         ${s.cidr}`, `Region:       ${s.region.name}`,
        `Outbound IPs: ${nat.sources.join(', ') || '(none)'} (${nat.state})`, `Trusted IPs:  ${inbound.rules.map((r) => r.source).join(', ') || '(none: all web traffic is refused)'}`,
        `Egress:       ${outbound.rules.map(egressText).join(', ') || '(nothing outside the space but DNS)'}`, `Dynos:        ${dynos.join('\n              ') || '(none)'}`].join('\n'));
    });
  program.command('spaces:destroy <space>').description('delete a space (it must have no apps left)').option('--confirm <space>', 'the space name, to confirm')
    .action(async (name: string, o: { confirm?: string }) => {
      if (o.confirm !== name) throw new CliError(`This deletes space ${name} and its network. Run again with --confirm ${name}.`);
      await client().delete(`/spaces/${enc(name)}`);
      console.log(`Destroyed space ${name}.`);
    });

  const inboundSet = async (name: string, edit: (rules: string[]) => string[]) => {
    const api = client();
    const now = await api.get<InboundJson>(`/spaces/${enc(name)}/inbound-ruleset`);
    const rules = edit(now.rules.map((r) => r.source));
    return api.request<InboundJson>('PUT', `/spaces/${enc(name)}/inbound-ruleset`, { rules: rules.map((source) => ({ action: 'allow', source })) });
  };
  const showInbound = (name: string, r: InboundJson) => console.log(r.rules.length ? `Trusted IP ranges of ${name}:\n${r.rules.map((x) => `  ${x.source}`).join('\n')}` : `${name} trusts no IP range: all web traffic is refused (403).`);
  sOpt(program.command('spaces:trusted-ips [space]').description('list the IP ranges whose web requests reach the space\'s apps')).action(async (arg: string | undefined, o: { space?: string }) => {
    const name = spaceOf(arg, o);
    showInbound(name, await client().get<InboundJson>(`/spaces/${enc(name)}/inbound-ruleset`));
  });
  sOpt(program.command('spaces:trusted-ips:add <cidr>').description('trust an IP range for web traffic')).action(async (cidr: string, o: { space?: string }) => {
    const name = spaceOf(undefined, o);
    showInbound(name, await inboundSet(name, (r) => [...r, cidr]));
  });
  sOpt(program.command('spaces:trusted-ips:remove <cidr>').description('stop trusting an IP range')).action(async (cidr: string, o: { space?: string }) => {
    const name = spaceOf(undefined, o);
    showInbound(name, await inboundSet(name, (r) => {
      if (!r.includes(cidr)) throw new CliError(`${cidr} is not a trusted range of ${name} (they are: ${r.join(', ') || 'none'}).`);
      return r.filter((x) => x !== cidr);
    }));
  });

  const outboundSet = async (name: string, edit: (rules: OutboundJson['rules']) => Array<{ target: string; from_port?: number; to_port?: number }>) => {
    const api = client();
    const now = await api.get<OutboundJson>(`/spaces/${enc(name)}/outbound-ruleset`);
    return api.request<OutboundJson>('PUT', `/spaces/${enc(name)}/outbound-ruleset`, { rules: edit(now.rules) });
  };
  const showOutbound = (name: string, r: OutboundJson) => console.log(r.rules.length ? `Egress allowed from ${name}:\n${r.rules.map((x) => `  ${egressText(x)}`).join('\n')}` : `${name} reaches nothing outside itself but its DNS.`);
  sOpt(program.command('spaces:egress [space]').description('list where the space\'s dynos may connect outside the space (beyond Heroku)')).action(async (arg: string | undefined, o: { space?: string }) => {
    const name = spaceOf(arg, o);
    showOutbound(name, await client().get<OutboundJson>(`/spaces/${enc(name)}/outbound-ruleset`));
  });
  sOpt(program.command('spaces:egress:add <target>').description('allow outbound connections to CIDR[:PORT] (addresses of this host)')).action(async (target: string, o: { space?: string }) => {
    const name = spaceOf(undefined, o);
    showOutbound(name, await outboundSet(name, (r) => [...r, egressTarget(target)]));
  });
  sOpt(program.command('spaces:egress:remove <target>').description('remove an outbound rule')).action(async (target: string, o: { space?: string }) => {
    const name = spaceOf(undefined, o);
    showOutbound(name, await outboundSet(name, (r) => {
      const left = r.filter((x) => egressText(x) !== egressText({ target: egressTarget(target).target, from_port: egressTarget(target).from_port ?? 0, to_port: egressTarget(target).to_port ?? 65535 }));
      if (left.length === r.length) throw new CliError(`${target} is not an egress rule of ${name}.`);
      return left;
    }));
  });
}
