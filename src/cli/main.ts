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
// Each topic's commands, loaded when asked for.
const TOPICS: Array<() => Promise<Register>> = [
  server,
  () => import('./commands/doctor.js').then((m) => m.registerDoctor),
  () => import('./commands/auth.js').then((m) => m.registerAuth),
  () => import('./commands/pipelines.js').then((m) => m.registerPipelines),
  () => import('./commands/ci.js').then((m) => m.registerCi),
  () => import('./commands/apps.js').then((m) => m.registerApps),
  () => import('./commands/git.js').then((m) => m.registerGit),
  () => import('./commands/addons.js').then((m) => m.registerAddons),
  () => import('./commands/github.js').then((m) => m.registerGithub),
  () => import('./commands/spaces.js').then((m) => m.registerSpaces),
  () => import('./commands/webhooks.js').then((m) => m.registerWebhooks),
  () => import('./commands/domains.js').then((m) => m.registerDomains),
  () => import('./commands/heroku.js').then((m) => m.registerHeroku),
  agent,
  () => import('./commands/audit.js').then((m) => m.registerAudit),
  () => import('./commands/access.js').then((m) => m.registerAccess),
  router,
];
// The long-running processes register only their own command: the rest of the CLI would stay in their memory for good.
const PROCESSES: Record<string, () => Promise<Register>> = { server, agent, router };

/** What `slipway <command>` needs registered: its process's command alone, or every topic (for dispatch, help and suggestions). */
function commandsFor(command: string | undefined): Promise<Register[]> {
  const only = command === undefined ? undefined : PROCESSES[command];
  return Promise.all(only ? [only()] : TOPICS.map((load) => load()));
}

export async function main(argv: string[]): Promise<void> {
  quietEnds();
  const program = new Command('slipway').enablePositionalOptions().description('A self-hosted Heroku Flow.').version('0.1.0').exitOverride().showSuggestionAfterError();
  for (const register of await commandsFor(argv[2])) register(program);
  program.commands.forEach((c) => c.exitOverride());
  try {
    await program.parseAsync(argv);
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
