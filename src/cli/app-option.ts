// `-a APP`, or the app inferred from the repository's git remotes as the heroku CLI does: the remote
// given with `-r`, else the one named `slipway` (then `heroku`), else the only Slipway remote there is.
import type { Command } from 'commander';
import { gitText } from './git.js';
import { CliError } from './errors.js';

/** App names of the remotes whose URL is `<server>/<app>.git` (as the heroku CLI writes it) or `<server>/git/<app>.git`, by remote name. */
export function slipwayRemotes(remoteVerbose: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of remoteVerbose.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s+\(fetch\)$/.exec(line.trim());
    const app = m && (/^https?:\/\/[^/]+(?:\/.*)?\/git\/([a-z][a-z0-9-]*)\.git$/.exec(m[2]!) ?? /^https?:\/\/[^/]+\/([a-z][a-z0-9-]*)\.git$/.exec(m[2]!));
    if (m && app) found.set(m[1]!, app[1]!);
  }
  return found;
}

/** Pick the app from the remotes; an error says what to pass when it cannot. */
export function pickApp(remotes: Map<string, string>, remote?: string): string {
  if (remote) {
    const app = remotes.get(remote);
    if (!app) throw new CliError(`The git remote "${remote}" is not a Slipway app remote. Pass -a APP, or add one with \`slipway git:remote -a APP -r ${remote}\`.`);
    return app;
  }
  // `slipway git:remote` names its remote slipway; the heroku CLI's is heroku.
  const named = remotes.get('slipway') ?? remotes.get('heroku');
  if (named) return named;
  const apps = [...new Set(remotes.values())];
  if (apps.length === 1) return apps[0]!;
  if (apps.length === 0) throw new CliError('No app given: pass -a APP, or run this inside a repository with a Slipway remote (`slipway git:remote -a APP`).');
  throw new CliError(`Several Slipway remotes (${[...remotes.keys()].join(', ')}): pass -a APP or -r REMOTE.`);
}

/** Add `-a/--app` and `-r/--remote` to a command; the action sees `app` filled in. */
export function appOption(cmd: Command, description = 'app name'): Command {
  return cmd.option('-a, --app <app>', description).option('-r, --remote <remote>', 'infer the app from this git remote')
    .hook('preAction', async (_self, action) => {
      const o = action.opts<{ app?: string; remote?: string }>();
      if (o.app) return;
      const verbose = await gitText(['remote', '-v']).catch(() => '');
      action.setOptionValue('app', pickApp(slipwayRemotes(verbose), o.remote));
    });
}
