import type { Command } from 'commander';
import readline from 'node:readline/promises';
import { ApiClient } from '../api-client.js';
import { loadCredentials, saveCredentials, credentialsFile } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import os from 'node:os';

async function tokenFromPassword(url: string, email: string): Promise<string> {
  let password = '';
  if (process.stdin.isTTY) {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    password = await rl.question('Password: ');
    rl.close();
  } else {
    for await (const c of process.stdin) password += c;
    password = password.replace(/\r?\n$/, '');
  }
  const basic = Buffer.from(`${email}:${password}`).toString('base64');
  let res: Response;
  try {
    res = await fetch(`${url}/oauth/authorizations`, { method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/json' }, body: JSON.stringify({ description: `slipway CLI on ${os.hostname()}` }) });
  } catch (e) { throw new CliError(`Cannot reach the Slipway server at ${url} (${(e as Error).message}).`, EXIT.unreachable); }
  const body = await res.json().catch(() => ({})) as { message?: string; access_token?: { token?: string } };
  if (!res.ok || !body.access_token?.token) throw new CliError(body.message ?? `Sign-in failed: HTTP ${res.status}.`, EXIT.unreachable);
  return body.access_token.token;
}

export function registerAuth(program: Command): void {
  program.command('login').description('store the server URL and API token for later commands')
    .option('--url <url>', 'server URL', loadCredentials().url)
    .option('--token <token>', 'API token (prompted for when omitted)')
    .option('--email <email>', 'sign in with email and password (prompted for, or read from stdin): creates an authorization for this machine')
    .action(async (o: { url: string; token?: string; email?: string }) => {
      let token = o.token ?? (o.email ? await tokenFromPassword(o.url.replace(/\/$/, ''), o.email) : undefined);
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
