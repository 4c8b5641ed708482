// `agents`, `agents:create NAME` (prints the token once), `agents:revoke NAME`; and `agent`, the
// process that runs on each host and pulls work from the server.
import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { loadCredentials, serverEnv } from '../context.js';
import { printJson, table } from '../format.js';
import { CliError, EXIT } from '../errors.js';

const client = () => new ApiClient(loadCredentials());
interface AgentJson { name: string; state: string; space_slice?: number | null; last_seen_at: string | null; slots: number | null; running_jobs?: number; hostname: string | null; address: string | null; protocol_version: number | null; embedded: boolean }

const ago = (iso: string | null): string => {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : iso;
};

export function registerAgents(program: Command): void {
  program.command('agents').description('list agents: state, last seen, slots, running jobs').option('--json', 'output JSON').action(async (o: { json?: boolean }) => {
    const list = await client().get<AgentJson[]>('/agents');
    if (o.json) return printJson(list);
    if (!list.length) return console.log('No agents yet. Create one with `slipway agents:create NAME`.');
    console.log(table(list.map((a) => [a.name + (a.embedded ? ' (embedded)' : '') + (a.space_slice != null ? ' (spaces)' : ''), a.state, ago(a.last_seen_at), String(a.slots ?? '-'), String(a.running_jobs ?? 0), [a.hostname, a.address].filter(Boolean).join(' ') || '-']),
      ['name', 'state', 'last seen', 'slots', 'running', 'host']));
  });
  program.command('agents:create <name>').description('create an agent and print its token (shown once)')
    .option('--spaces', 'let it run private spaces: their networks span it and the other agents allowed, joined by a VXLAN overlay')
    .action(async (name: string, o: { spaces?: boolean }) => {
    const a = await client().post<AgentJson & { token: string }>('/agents', { name, ...(o.spaces ? { spaces: true } : {}) });
    console.log(`Created agent ${a.name}${o.spaces ? ' (it runs private spaces)' : ''}. Its token (shown once, stored only as a hash; it works for agent work only):\n\n    ${a.token}\n\nStart it on its host with:  slipway agent --server ${loadCredentials().url} --token ${a.token}`);
  });
  program.command('agents:revoke <name>').description('revoke an agent\'s token for good (the jobs it runs end as runner lost)').action(async (name: string) => {
    await client().delete(`/agents/${encodeURIComponent(name)}`);
    console.log(`Revoked agent ${name}: its token no longer works.`);
  });
  program.command('agent').description('run an agent on this host: pull test nodes, builds and release phases from a server, and run its dynos')
    .option('--server <url>', 'the server\'s URL (SLIPWAY_AGENT_SERVER)')
    .option('--token <token>', 'the agent token from agents:create (SLIPWAY_AGENT_TOKEN)')
    .option('--data-dir <dir>', 'this agent\'s data folder (SLIPWAY_AGENT_DATA_DIR, default ./.slipway-agent)')
    .option('--slots <n>', 'jobs at a time (SLIPWAY_AGENT_SLOTS, default 2)')
    .option('--memory <mb>', 'memory to offer, MB (SLIPWAY_AGENT_MEMORY_MB, default: this host\'s)')
    .option('--name <name>', 'the agent\'s name, checked against its token (SLIPWAY_AGENT_NAME)')
    .option('--advertise <addr>', 'the address the router reaches this host\'s dynos at (SLIPWAY_AGENT_ADDRESS, default: the address it reaches the server from)')
    .action(async (o: { server?: string; token?: string; dataDir?: string; slots?: string; memory?: string; name?: string; advertise?: string }) => {
      const [{ loadAgentConfig }, { runAgent, AgentRefused }] = await Promise.all([import('../../agent/agent-config.js'), import('../../agent/agent.js')]);
      const env = {
        ...serverEnv(), ...(o.server ? { SLIPWAY_AGENT_SERVER: o.server } : {}), ...(o.token ? { SLIPWAY_AGENT_TOKEN: o.token } : {}), ...(o.dataDir ? { SLIPWAY_AGENT_DATA_DIR: o.dataDir } : {}),
        ...(o.slots ? { SLIPWAY_AGENT_SLOTS: o.slots } : {}), ...(o.memory ? { SLIPWAY_AGENT_MEMORY_MB: o.memory } : {}), ...(o.name ? { SLIPWAY_AGENT_NAME: o.name } : {}),
        ...(o.advertise ? { SLIPWAY_AGENT_ADDRESS: o.advertise } : {}),
      };
      let config;
      try { config = loadAgentConfig(env); } catch (e) { throw new CliError((e as Error).message); }
      // The local agent `slipway server` runs beside itself answers who it is (the server adopts it after a restart).
      const [{ companionIdentity }, { companionVersion }, { companionRoutes }] = await Promise.all([import('../../companions/identity-socket.js'), import('../../companions/companion-version.js'), import('../../companions/agent-routes.js')]);
      // Ready (what the server's start waits for) once its host is set up and it is registered, not at once.
      let ready = false;
      const routes = companionRoutes();
      const identity = await companionIdentity(env, 'agent', companionVersion(config.host.companionVersionTag), () => ready, routes.serve);
      try { await runAgent(config, { onReady: () => { ready = true; }, onHost: routes.hostIs }); } catch (e) { throw e instanceof AgentRefused ? new CliError(e.message, EXIT.unreachable) : e; } finally { await identity?.(); }
    });
}
