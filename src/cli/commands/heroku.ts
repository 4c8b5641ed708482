// `slipway heroku ARGS…`: the official heroku CLI, set up for the Slipway server you logged in to.
import type { Command } from 'commander';
import { loadCredentials, credentialsFile } from '../context.js';
import { runHeroku } from '../heroku-bridge.js';
import path from 'node:path';

export function registerHeroku(program: Command): void {
  program.command('heroku').description('run the official heroku CLI against this Slipway server (host, token, certificate set; loopback only)')
    .helpOption(false).passThroughOptions().allowUnknownOption().allowExcessArguments().argument('[args...]', 'the heroku command and its arguments, as you would type them')
    .action(async (args: string[]) => {
      process.exitCode = await runHeroku(loadCredentials(), args, path.dirname(credentialsFile()));
    });
}
