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
import { registerAgents } from './commands/agents.js';
import { CliError, EXIT } from './errors.js';
import { networkReason } from './connection-lost.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('slipway').description('A self-hosted Heroku Flow.').version('0.1.0').exitOverride().showSuggestionAfterError();
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
  registerAgents(program);
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
    process.stderr.write(`slipway: ${(e as Error).stack ?? e}\n`);
    process.exitCode = EXIT.failed;
  }
}
