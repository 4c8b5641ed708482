// `git push` to Slipway: a remote per app, and a git credential helper that hands git the token
// from `slipway login` (or SLIPWAY_TOKEN) so no secret is written into .git/config.
import fs from 'node:fs';
import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { inGitRepo, setConfig, gitText } from '../git.js';
import { CliError } from '../errors.js';

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The remote of an app: the same `<server>/<app>.git` the heroku CLI writes. */
export const remoteUrl = (serverUrl: string, app: string): string => `${serverUrl}/${app}.git`;

async function readStdin(): Promise<string> {
  let s = '';
  for await (const c of process.stdin) s += c;
  return s;
}

export function registerGit(program: Command): void {
  program.command('git:remote').description('add a git remote for an app, so `git push slipway main` deploys it')
    .requiredOption('-a, --app <app>', 'app').option('-r, --remote <name>', 'remote name', 'slipway')
    .action(async (o: { app: string; remote: string }) => {
      if (!(await inGitRepo())) throw new CliError('Not in a git repository: run this inside your app\'s repository.');
      const creds = loadCredentials();
      await new ApiClient(creds).get(`/apps/${encodeURIComponent(o.app)}`);
      const url = remoteUrl(creds.url, o.app);
      const existing = await gitText(['remote']).then((r) => r.split('\n'));
      await gitText(existing.includes(o.remote) ? ['remote', 'set-url', o.remote, url] : ['remote', 'add', o.remote, url]);
      // git asks this CLI for the token when it talks to the server; .git/config holds no secret.
      const self = fs.realpathSync(process.argv[1]!);
      await setConfig(`credential.${creds.url}.helper`, `!${shellQuote(process.execPath)} ${shellQuote(self)} git:credential`);
      console.log(`set git remote ${o.remote} to ${url}`);
    });

  // git's credential helper protocol: `get` answers with the token for our server, nothing else.
  program.command('git:credential [operation]', { hidden: true }).description('git credential helper for the Slipway server')
    .action(async (operation: string | undefined) => {
      const input = await readStdin();
      if (operation !== 'get') return;
      const fields = Object.fromEntries(input.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      const creds = loadCredentials();
      const server = new URL(creds.url);
      if (!creds.token || fields['host'] !== server.host || `${fields['protocol']}:` !== server.protocol) return;
      process.stdout.write(`username=slipway\npassword=${creds.token}\n`);
    });
}
