// `slipway <topic>:<command>`: heroku-style verbs over the HTTP API.
import { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './errors.js';
import { networkReason } from './connection-lost.js';

/** One line, never a stack: what went wrong and that it is Slipway's fault, not the user's. */
function internalError(e: unknown): void {
  process.stderr.write(`slipway: internal error: ${(e as Error)?.message ?? String(e)}. Please report it with the command you ran.\n`);
  process.exitCode = EXIT.failed;
}

/**
 * A reader that went away (`| head`) is the end of the output, not an error: stop quietly. Anything
 * thrown outside a command's own handling still ends in one line.
 */
function quietEnds(): void {
  const closed = (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok); else internalError(e); };
  process.stdout.on('error', closed);
  process.stderr.on('error', () => process.exit(process.exitCode ?? EXIT.ok));
  process.on('uncaughtException', (e) => { internalError(e); process.exit(EXIT.failed); });
  process.on('unhandledRejection', (e) => { internalError(e); process.exit(EXIT.failed); });
}

/** A topic's commands, added to the program. */
type Register = (program: Command) => void;
const server = () => import('./commands/server.js').then((m) => m.registerServer);
const agent = () => import('./commands/agents.js').then((m) => m.registerAgents);
const router = () => import('./commands/routers.js').then((m) => m.registerRouters);
// Each topic's commands, loaded when asked for, by the name their commands begin with.
const TOPICS: Record<string, () => Promise<Register>> = {
  server,
  doctor: () => import('./commands/doctor.js').then((m) => m.registerDoctor),
  auth: () => import('./commands/auth.js').then((m) => m.registerAuth),
  pipelines: () => import('./commands/pipelines.js').then((m) => m.registerPipelines),
  ci: () => import('./commands/ci.js').then((m) => m.registerCi),
  apps: () => import('./commands/apps.js').then((m) => m.registerApps),
  git: () => import('./commands/git.js').then((m) => m.registerGit),
  addons: () => import('./commands/addons.js').then((m) => m.registerAddons),
  github: () => import('./commands/github.js').then((m) => m.registerGithub),
  spaces: () => import('./commands/spaces.js').then((m) => m.registerSpaces),
  webhooks: () => import('./commands/webhooks.js').then((m) => m.registerWebhooks),
  domains: () => import('./commands/domains.js').then((m) => m.registerDomains),
  heroku: () => import('./commands/heroku.js').then((m) => m.registerHeroku),
  agents: agent,
  audit: () => import('./commands/audit.js').then((m) => m.registerAudit),
  access: () => import('./commands/access.js').then((m) => m.registerAccess),
  routers: router,
};
// The long-running processes register only their own command: the rest of the CLI would stay in their memory for good.
const PROCESSES: Record<string, () => Promise<Register>> = { server, agent, router };

function program(registers: Register[]): Command {
  const p = new Command('slipway').enablePositionalOptions().description('A self-hosted Heroku Flow.').version('0.1.0').exitOverride().showSuggestionAfterError();
  for (const register of registers) register(p);
  p.commands.forEach((c) => c.exitOverride());
  return p;
}

/**
 * The program for `slipway <command>`: its process's command alone; else the topic its name begins
 * with (`ci:run` → ci), when that topic has it — each topic's modules cost a CLI start about 5 ms of
 * CPU; else every topic (for dispatch elsewhere, help and suggestions).
 */
async function programFor(command: string | undefined): Promise<Command> {
  const own = <T>(table: Record<string, T>, key: string | undefined): T | undefined => (key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined);
  const only = own(PROCESSES, command);
  if (only) return program([await only()]);
  const topic = own(TOPICS, command?.split(':')[0]);
  if (topic) {
    const p = program([await topic()]);
    if (p.commands.some((c) => c.name() === command || c.aliases().includes(command!))) return p;
  }
  return program(await Promise.all(Object.values(TOPICS).map((load) => load())));
}

export async function main(argv: string[]): Promise<void> {
  quietEnds();
  const slipway = await programFor(argv[2]);
  try {
    await slipway.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? EXIT.ok : EXIT.usage;
      return;
    }
    if (e instanceof CliError) { process.stderr.write(`slipway: ${e.message}\n`); process.exitCode = e.code; return; }
    if ((e as { cli?: boolean }).cli) { process.stderr.write(`slipway: ${(e as Error).message}\n`); process.exitCode = EXIT.usage; return; }
    // A request made outside the API client (or a socket closing under it): still one line, exit 3.
    if (networkReason(e)) { process.stderr.write(`slipway: The Slipway server went away (${networkReason(e)}). Check that it is running (\`slipway server\`) and try again.\n`); process.exitCode = EXIT.unreachable; return; }
    internalError(e);
  }
}
