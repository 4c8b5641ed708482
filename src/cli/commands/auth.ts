import type { Command } from 'commander';
import readline from 'node:readline/promises';
import { ApiClient } from '../api-client.js';
import { loadCredentials, saveCredentials, credentialsFile } from '../context.js';
import { CliError } from '../errors.js';

export function registerAuth(program: Command): void {
  program.command('login').description('store the server URL and API token for later commands')
    .option('--url <url>', 'server URL', loadCredentials().url)
    .option('--token <token>', 'API token (prompted for when omitted)')
    .action(async (o: { url: string; token?: string }) => {
      let token = o.token;
      if (!token) {
        const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
        token = (await rl.question('API token: ')).trim();
        rl.close();
      }
      if (!token) throw new CliError('No token given.');
      const account = await new ApiClient({ url: o.url.replace(/\/$/, ''), token }).get<{ name: string }>('/account');
      saveCredentials({ url: o.url.replace(/\/$/, ''), token });
      console.log(`Logged in to ${o.url} as ${account.name}; credentials saved in ${credentialsFile()}.`);
    });

  program.command('auth:whoami').description('show who the token belongs to').action(async () => {
    const a = await new ApiClient(loadCredentials()).get<{ name: string }>('/account');
    console.log(a.name);
  });
}
