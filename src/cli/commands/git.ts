// `git push` to Slipway: a remote per app, and a git credential helper that hands git the token
// from `slipway login` (or SLIPWAY_TOKEN) so no secret is written into .git/config.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { inGitRepo, setConfig, gitText } from '../git.js';
import { CliError } from '../errors.js';
import { gitCredential } from '../git-credential.js';

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The remote of an app: the same `<server>/<app>.git` the heroku CLI writes. */
export const remoteUrl = (serverUrl: string, app: string): string => `${serverUrl}/${app}.git`;

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
      // git asks `get` before a push and says `store` after it; `get` is answered by a shell script
      // (bin/slipway-git-credential) that starts Node.js only for what it does not answer plainly.
      const helper = path.join(path.dirname(self), 'slipway-git-credential');
      const get = `/bin/sh ${shellQuote(helper)} ${shellQuote(process.execPath)} ${shellQuote(self)}`;
      await setConfig(`credential.${creds.url}.helper`, `!f() { if [ "$1" = get ]; then exec ${get}; fi; cat >/dev/null; }; f`);
      console.log(`set git remote ${o.remote} to ${url}`);
    });

  // git's credential helper (bin/slipway.js answers it without loading the CLI; this is its help entry).
  program.command('git:credential [operation]', { hidden: true }).description('git credential helper for the Slipway server')
    .action(async (operation: string | undefined) => { await gitCredential(operation); });
}
