// `slipway <topic>:<command>`: heroku-style verbs over the HTTP API.
import { Command, CommanderError } from 'commander';
import { registerServer } from './commands/server.js';
import { registerDoctor } from './commands/doctor.js';
import { registerAuth } from './commands/auth.js';
import { registerPipelines } from './commands/pipelines.js';
import { registerCi } from './commands/ci.js';
import { registerApps } from './commands/apps.js';
import { registerGit } from './commands/git.js';
import { registerAddons } from './commands/addons.js';
import { registerGithub } from './commands/github.js';
import { registerSpaces } from './commands/spaces.js';
import { registerWebhooks } from './commands/webhooks.js';
import { registerDomains } from './commands/domains.js';
import { registerHeroku } from './commands/heroku.js';
import { registerAgents } from './commands/agents.js';
import { registerAudit } from './commands/audit.js';
import { registerAccess } from './commands/access.js';
import { registerRouters } from './commands/routers.js';
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

export async function main(argv: string[]): Promise<void> {
  quietEnds();
  const program = new Command('slipway').enablePositionalOptions().description('A self-hosted Heroku Flow.').version('0.1.0').exitOverride().showSuggestionAfterError();
  registerServer(program);
  registerDoctor(program);
  registerAuth(program);
  registerPipelines(program);
  registerCi(program);
  registerApps(program);
  registerGit(program);
  registerAddons(program);
  registerGithub(program);
  registerSpaces(program);
  registerWebhooks(program);
  registerDomains(program);
  registerHeroku(program);
  registerAgents(program);
  registerAudit(program);
  registerAccess(program);
  registerRouters(program);
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
