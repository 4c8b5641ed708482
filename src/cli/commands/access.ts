// Accounts and access: `users`, `users:create`, `users:destroy` (admins), `authorizations`,
// `authorizations:create`, `authorizations:revoke`, `teams`, `teams:create`, `members`,
// `members:add`, `members:remove`, `access`, `access:add`, `access:remove`.
import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { printJson, table } from '../format.js';
import { appOption } from '../app-option.js';
import { CliError } from '../errors.js';

const client = () => new ApiClient(loadCredentials());
const enc = encodeURIComponent;
interface UserJson { id: string; email: string; admin: boolean; created_at: string; password?: string }
interface AuthJson { id: string; description: string; scope: string[]; expires_at: string | null; last_used_at: string | null; access_token: { token: string | null } }
interface MemberJson { email: string; role: string }
interface CollabJson { user: { email: string }; role: string; permissions: { name: string }[] }

async function readStdin(): Promise<string> {
  let s = '';
  for await (const c of process.stdin) s += c;
  return s.replace(/\r?\n$/, '');
}

export function registerAccess(program: Command): void {
  program.command('users').description('list users (admins only)').option('--json', 'output JSON').action(async (o: { json?: boolean }) => {
    const list = await client().get<UserJson[]>('/users');
    if (o.json) return printJson(list);
    console.log(table(list.map((u) => [u.email, u.admin ? 'admin' : '', u.created_at]), ['email', 'role', 'created']));
  });
  program.command('users:create <email>').description('create a user; prints a generated password once, or reads one from stdin with --password-stdin')
    .option('--admin', 'a Slipway admin: every app, pipeline, team and user').option('--password-stdin', 'read the password from stdin instead of generating one')
    .action(async (email: string, o: { admin?: boolean; passwordStdin?: boolean }) => {
      const password = o.passwordStdin ? await readStdin() : undefined;
      const u = await client().post<UserJson>('/users', { email, admin: !!o.admin, ...(password !== undefined ? { password } : {}) });
      console.log(`Created ${u.admin ? 'admin ' : ''}user ${u.email}.`);
      if (u.password) console.log(`Password (shown once; stored only as a scrypt hash):\n\n    ${u.password}\n`);
    });
  program.command('users:destroy <email>').description('delete a user with their tokens, memberships and collaborations').action(async (email: string) => {
    await client().delete(`/users/${enc(email)}`);
    console.log(`Destroyed user ${email}: their tokens no longer work.`);
  });

  program.command('authorizations').description('list your API authorizations').option('--json', 'output JSON').action(async (o: { json?: boolean }) => {
    const list = await client().get<AuthJson[]>('/oauth/authorizations');
    if (o.json) return printJson(list);
    if (!list.length) return console.log('No authorizations.');
    console.log(table(list.map((a) => [a.description, a.id, a.scope.join(','), a.expires_at ?? 'never', a.last_used_at ?? 'never']), ['description', 'id', 'scope', 'expires', 'last used']));
  });
  program.command('authorizations:create').description('create an API authorization and print its token once')
    .option('-d, --description <text>', 'what it is for').option('-s, --scope <scopes>', 'read, write, deploy, ci (comma-separated; default write)')
    .option('-e, --expires-in <seconds>', 'expire after so many seconds').option('-S, --short', 'print only the token').option('--json', 'output JSON')
    .action(async (o: { description?: string; scope?: string; expiresIn?: string; short?: boolean; json?: boolean }) => {
      if (o.expiresIn !== undefined && !/^\d+$/.test(o.expiresIn)) throw new CliError(`--expires-in is a number of seconds (got ${o.expiresIn}).`);
      const a = await client().post<AuthJson>('/oauth/authorizations', {
        ...(o.description ? { description: o.description } : {}), ...(o.scope ? { scope: o.scope.split(',') } : {}), ...(o.expiresIn ? { expires_in: Number(o.expiresIn) } : {}),
      });
      if (o.json) return printJson(a);
      if (o.short) return console.log(a.access_token.token);
      console.log(`Created authorization ${a.id} (${a.description}; scope ${a.scope.join(',')}; expires ${a.expires_at ?? 'never'}).\nToken (shown once):\n\n    ${a.access_token.token}\n`);
    });
  program.command('authorizations:revoke <id>').description('revoke an authorization: its token stops working at once').action(async (id: string) => {
    const a = await client().delete<AuthJson>(`/oauth/authorizations/${enc(id)}`);
    console.log(`Revoked authorization ${a.id} (${a.description}).`);
  });

  program.command('teams').description('list your teams and your role in each').option('--json', 'output JSON').action(async (o: { json?: boolean }) => {
    const list = await client().get<{ name: string; role: string }[]>('/teams');
    if (o.json) return printJson(list);
    console.log(list.length ? table(list.map((t) => [t.name, t.role]), ['team', 'role']) : 'No teams.');
  });
  program.command('teams:create <name>').description('create a team (admins only)').action(async (name: string) => {
    await client().post('/teams', { name });
    console.log(`Created team ${name}. Add members with \`slipway members:add EMAIL --team ${name} --role member\`.`);
  });
  program.command('members').description('list a team\'s members').requiredOption('-t, --team <team>', 'team name').option('--json', 'output JSON')
    .action(async (o: { team: string; json?: boolean }) => {
      const list = await client().get<MemberJson[]>(`/teams/${enc(o.team)}/members`);
      if (o.json) return printJson(list);
      console.log(list.length ? table(list.map((m) => [m.email, m.role]), ['email', 'role']) : 'No members.');
    });
  program.command('members:add <email>').description('add a user to a team, or change their role').requiredOption('-t, --team <team>', 'team name')
    .option('-r, --role <role>', 'admin, member or viewer', 'member').action(async (email: string, o: { team: string; role: string }) => {
      await client().request('PUT', `/teams/${enc(o.team)}/members`, { email, role: o.role });
      console.log(`${email} is now ${o.role} of ${o.team}.`);
    });
  program.command('members:remove <email>').description('remove a user from a team').requiredOption('-t, --team <team>', 'team name').action(async (email: string, o: { team: string }) => {
    await client().delete(`/teams/${enc(o.team)}/members/${enc(email)}`);
    console.log(`Removed ${email} from ${o.team}.`);
  });

  appOption(program.command('access').description('who has access to an app'), 'app').option('--json', 'output JSON').action(async (o: { app: string; json?: boolean }) => {
    const list = await client().get<CollabJson[]>(`/apps/${enc(o.app)}/collaborators`);
    if (o.json) return printJson(list);
    console.log(list.length ? table(list.map((c) => [c.user.email, c.role, c.permissions.map((p) => p.name).join(', ')]), ['email', 'role', 'permissions']) : 'Only admins and team members.');
  });
  appOption(program.command('access:add <email>').description('give a user access to an app'), 'app')
    .option('-p, --permissions <list>', 'view, deploy, operate, manage (comma-separated; view is always included; default view,deploy,operate)')
    .action(async (email: string, o: { app: string; permissions?: string }) => {
      const r = await client().post<CollabJson>(`/apps/${enc(o.app)}/collaborators`, { user: email, ...(o.permissions ? { permissions: o.permissions.split(',') } : {}) });
      console.log(`${email} can now ${r.permissions.map((p) => p.name).join(', ')} ${o.app}.`);
    });
  appOption(program.command('access:remove <email>').description('take a user\'s access to an app away'), 'app').action(async (email: string, o: { app: string }) => {
    await client().delete(`/apps/${enc(o.app)}/collaborators/${enc(email)}`);
    console.log(`Removed ${email} from ${o.app}.`);
  });
}
