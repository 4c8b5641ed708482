import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { archive, resolveCommit } from '../git.js';
import { dim, printJson, statusColour, table } from '../format.js';
import { CliError, EXIT } from '../errors.js';
import { appOption } from '../app-option.js';
import { confirmName } from '../confirm.js';
import { keyProblem, valueProblem } from '../../core/tenant-keys.js';

const client = () => new ApiClient(loadCredentials());
const enc = encodeURIComponent;
interface AppJson { id: string; name: string; web_url: string; created_at: string; space?: { name: string | null } | null; internal_routing?: boolean }
interface ReleaseJson { id: string; version: number; description: string; status: string; current: boolean; message: string | null; created_at: string; output_stream_url: string; user: { email: string } | null }
interface BuildJson { id: string; status: string; source_blob: { version: string | null }; message: string | null; created_at: string; output_stream_url: string; release: { id: string } | null }
interface DynoJson { name: string; state: string; command: string; release: { version: number }; created_at: string; size?: string }
interface FormationJson { type: string; quantity: number; size: string }

const appOpt = (c: Command) => appOption(c);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** `-e "K=V;K2=V2"` as the one-off's extra variables. */
const envPairs = (pairs?: string): Record<string, string> => Object.fromEntries((pairs ?? '').split(';').filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
/** What a detached one-off prints, as Heroku's `run:detached` does: where its output goes. */
const saidDetached = (command: string[], app: string, dyno: string) => console.log(`Running \`${command.join(' ')}\` on ${app} as ${dyno}; see \`slipway logs -a ${app} --dyno ${dyno}\`.`);

/** Wait for a release to leave `pending`, streaming its release-phase output. */
async function followRelease(api: ApiClient, app: string, r: ReleaseJson): Promise<ReleaseJson> {
  await api.stream(r.output_stream_url, process.stdout); // replays what is stored, follows what is not
  for (;;) {
    const now = await api.get<ReleaseJson>(`/apps/${enc(app)}/releases/${r.id}`);
    if (now.status !== 'pending') return now;
    await sleep(200);
  }
}

export function registerApps(program: Command): void {
  program.command('apps').description('list apps').option('--json', 'output JSON').action(async (o: { json?: boolean }) => {
    const apps = await client().get<AppJson[]>('/apps');
    if (o.json) return printJson(apps);
    console.log(apps.length ? table(apps.map((a) => [a.name, a.web_url]), ['name', 'url']) : 'No apps yet. Create one with `slipway apps:create NAME`.');
  });
  program.command('apps:create <name>').description('create an app').option('--space <space>', 'create it in this private space')
    .option('--internal-routing', 'its web dynos answer only inside its space (with --space)').option('-t, --team <team>', 'owned by this team (you must be its admin or member)')
    .action(async (name: string, o: { space?: string; internalRouting?: boolean; team?: string }) => {
    const a = await client().post<AppJson>('/apps', { name, ...(o.space ? { space: o.space } : {}), ...(o.internalRouting ? { internal_routing: true } : {}), ...(o.team ? { team: o.team } : {}) });
    console.log(`Created ${a.name} — ${o.internalRouting ? `internal: http://web.${a.name}.app.localspace:5000/ inside space ${o.space}` : a.web_url}${o.space && !o.internalRouting ? ` (in space ${o.space})` : ''}`);
  });
  appOpt(program.command('apps:info').description('show an app').option('--json', 'output JSON')).action(async (o: { app: string; json?: boolean }) => {
    const api = client();
    const a = await api.get<AppJson>(`/apps/${enc(o.app)}`);
    const [releases, dynos] = await Promise.all([api.get<ReleaseJson[]>(`/apps/${enc(o.app)}/releases`), api.get<DynoJson[]>(`/apps/${enc(o.app)}/dynos`)]);
    if (o.json) return printJson({ ...a, releases, dynos });
    const cur = releases.find((r) => r.current);
    console.log(`=== ${a.name}\nWeb URL:   ${a.internal_routing ? `(internal routing: http://web.${a.name}.app.localspace:5000/ inside the space)` : a.web_url}${a.space ? `\nSpace:     ${a.space.name}` : ''}\nRelease:   ${cur ? `v${cur.version} ${cur.description}` : '(none)'}\nDynos:     ${dynos.map((d) => `${d.name} ${d.state}`).join(', ') || '(none)'}`);
  });
  appOpt(program.command('apps:destroy').description('delete an app, its dynos and data').option('--confirm <name>', 'the app name, to confirm')).action(async (o: { app: string; confirm?: string }) => {
    await confirmName(o.app, o.confirm, `This deletes ${o.app}, its dynos, releases, add-ons and data.`);
    await client().delete(`/apps/${enc(o.app)}`);
    console.log(`Destroyed ${o.app}.`);
  });

  appOpt(program.command('config').description('show config vars').option('--json', 'output JSON').option('-s, --shell', 'KEY=value lines')).action(async (o: { app: string; json?: boolean; shell?: boolean }) => {
    const vars = await client().get<Record<string, string>>(`/apps/${enc(o.app)}/config-vars`);
    if (o.json) return printJson(vars);
    for (const [k, v] of Object.entries(vars)) console.log(o.shell ? `${k}=${v}` : `${k}: ${v}`);
  });
  appOpt(program.command('config:get <key>').description('print one config var')).action(async (key: string, o: { app: string }) => {
    const vars = await client().get<Record<string, string>>(`/apps/${enc(o.app)}/config-vars`);
    if (!(key in vars)) { process.exitCode = EXIT.failed; return; }
    console.log(vars[key]);
  });
  appOpt(program.command('config:set <pairs...>').description('set config vars (a new release)')).action(async (pairs: string[], o: { app: string }) => {
    const patch: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const p of pairs) {
      const i = p.indexOf('=');
      if (i < 1) throw new CliError(`"${p}" is not KEY=value.`);
      const problem = keyProblem('config var', p.slice(0, i)) ?? valueProblem(p.slice(0, i), p.slice(i + 1));
      if (problem) throw new CliError(`Cannot set ${JSON.stringify(p.slice(0, i))}: ${problem}.`);
      patch[p.slice(0, i)] = p.slice(i + 1);
    }
    const api = client();
    await api.patch(`/apps/${enc(o.app)}/config-vars`, patch);
    const [r] = await api.get<ReleaseJson[]>(`/apps/${enc(o.app)}/releases`);
    const done = r ? await followRelease(api, o.app, r) : undefined;
    console.log(`Set ${Object.keys(patch).join(', ')} and restarting ${o.app}${done ? ` — v${done.version} ${statusColour(done.status)}` : ''}`);
    if (done?.status === 'failed') process.exitCode = EXIT.failed;
  });
  appOpt(program.command('config:unset <keys...>').description('remove config vars (a new release)')).action(async (keys: string[], o: { app: string }) => {
    await client().patch(`/apps/${enc(o.app)}/config-vars`, Object.fromEntries(keys.map((k) => [k, null])));
    console.log(`Unset ${keys.join(', ')} and restarting ${o.app}`);
  });

  appOpt(program.command('builds:create').description('build the current git commit and release it').option('--ref <ref>', 'git ref', 'HEAD')).action(async (o: { app: string; ref: string }) => {
    const api = client();
    const commit = await resolveCommit(o.ref);
    const { source_blob } = await api.post<{ source_blob: { get_url: string; put_url: string } }>('/sources');
    await api.put(source_blob.put_url, await archive(commit.sha));
    const b = await api.post<BuildJson>(`/apps/${enc(o.app)}/builds`, { source_blob: { url: source_blob.get_url, version: commit.sha } });
    await api.stream(b.output_stream_url, process.stdout);
    let build = b;
    while (build.status === 'pending') { await sleep(200); build = await api.get<BuildJson>(`/apps/${enc(o.app)}/builds/${b.id}`); }
    if (build.status !== 'succeeded') { process.stderr.write(`Build failed: ${build.message}\n`); process.exitCode = EXIT.failed; return; }
    const r = await followRelease(api, o.app, await api.get<ReleaseJson>(`/apps/${enc(o.app)}/releases/${build.release!.id}`));
    console.log(`Released v${r.version} ${statusColour(r.status)}${r.message ? `: ${r.message}` : ''}`);
    if (r.status !== 'succeeded') process.exitCode = EXIT.failed;
  });
  appOpt(program.command('builds').description('list builds').option('--json', 'output JSON')).action(async (o: { app: string; json?: boolean }) => {
    const builds = await client().get<BuildJson[]>(`/apps/${enc(o.app)}/builds`);
    if (o.json) return printJson(builds);
    console.log(table(builds.map((b) => [b.id.slice(0, 8), statusColour(b.status), b.source_blob.version?.slice(0, 7) ?? '', b.created_at]), ['build', 'status', 'commit', 'created']));
  });
  appOpt(program.command('builds:output [id]').description('show a build\'s output (default: the latest)')).action(async (id: string | undefined, o: { app: string }) => {
    const api = client();
    const b = id ? await api.get<BuildJson>(`/apps/${enc(o.app)}/builds/${id}`) : (await api.get<BuildJson[]>(`/apps/${enc(o.app)}/builds`))[0];
    if (!b) throw new CliError('This app has no builds yet.');
    await api.stream(b.output_stream_url, process.stdout);
  });

  appOpt(program.command('builds:cache:purge').description('empty the build cache (the next build starts clean)').option('--confirm <name>', 'the app name, to confirm')).action(async (o: { app: string; confirm?: string }) => {
    await confirmName(o.app, o.confirm, `This empties the build cache of ${o.app}.`);
    await client().delete(`/apps/${enc(o.app)}/build-cache`);
    console.log(`Emptied the build cache of ${o.app}; the next build starts clean.`);
  });

  appOpt(program.command('releases').description('list releases').option('--json', 'output JSON')).action(async (o: { app: string; json?: boolean }) => {
    const rs = await client().get<ReleaseJson[]>(`/apps/${enc(o.app)}/releases`);
    if (o.json) return printJson(rs);
    console.log(table(rs.map((r) => [`v${r.version}${r.current ? '*' : ''}`, r.description, statusColour(r.status), r.created_at.replace('T', ' ').slice(0, 19), r.user?.email ?? 'slipway']), ['release', 'description', 'status', 'created', 'by']));
  });
  appOpt(program.command('releases:info [release]').description('show a release').option('--json', 'output JSON')).action(async (v: string | undefined, o: { app: string; json?: boolean }) => {
    const api = client();
    const r = v ? await api.get<ReleaseJson>(`/apps/${enc(o.app)}/releases/${v}`) : (await api.get<ReleaseJson[]>(`/apps/${enc(o.app)}/releases`))[0]!;
    if (o.json) return printJson(r);
    console.log(`=== Release v${r.version}\nDescription: ${r.description}\nStatus:      ${statusColour(r.status)}${r.current ? ' (current)' : ''}\nCreated:     ${r.created_at}\nBy:          ${r.user?.email ?? 'slipway (automatic)'}${r.message ? `\n${r.message}` : ''}`);
  });
  appOpt(program.command('releases:output [release]').description('release-phase output of a release (default: the latest)')).action(async (v: string | undefined, o: { app: string }) => {
    const api = client();
    const r = v ? await api.get<ReleaseJson>(`/apps/${enc(o.app)}/releases/${v}`) : (await api.get<ReleaseJson[]>(`/apps/${enc(o.app)}/releases`))[0]!;
    await api.stream(r.output_stream_url, process.stdout);
  });
  appOpt(program.command('releases:rollback [release]').description('a new release with an earlier one\'s slug and config (default: the one before current)')).action(async (v: string | undefined, o: { app: string }) => {
    const api = client();
    let target = v;
    if (!target) {
      const rs = await api.get<ReleaseJson[]>(`/apps/${enc(o.app)}/releases`);
      const cur = rs.findIndex((r) => r.current);
      const prev = rs.slice(cur + 1).find((r) => r.status === 'succeeded');
      if (!prev) throw new CliError('No earlier succeeded release to roll back to.');
      target = String(prev.version);
    }
    const r = await followRelease(api, o.app, await api.post<ReleaseJson>(`/apps/${enc(o.app)}/releases`, { release: target.replace(/^v/, '') }));
    console.log(`Rolled back to ${target.startsWith('v') ? target : `v${target}`}: v${r.version} ${statusColour(r.status)}`);
    if (r.status !== 'succeeded') process.exitCode = EXIT.failed;
  });

  appOpt(program.command('ps').description('formation and dynos').option('--json', 'output JSON')).action(async (o: { app: string; json?: boolean }) => {
    const api = client();
    const [dynos, formation] = await Promise.all([api.get<DynoJson[]>(`/apps/${enc(o.app)}/dynos`), api.get<FormationJson[]>(`/apps/${enc(o.app)}/formation`)]);
    if (o.json) return printJson({ formation, dynos });
    for (const f of formation) {
      console.log(`=== ${f.type} (${f.size}): ${f.quantity}`);
      for (const d of dynos.filter((x) => x.name.startsWith(f.type + '.'))) console.log(`${d.name}: ${d.state} ${dim(`v${d.release.version} since ${d.created_at}`)}  ${dim(d.command)}`);
    }
  });
  appOpt(program.command('ps:scale <pairs...>').description('set dyno counts: web=2 worker=1')).action(async (pairs: string[], o: { app: string }) => {
    const updates = pairs.map((p) => {
      const m = /^([A-Za-z0-9_-]+)=(\d+)(?::(\S+))?$/.exec(p);
      if (!m) throw new CliError(`"${p}" is not TYPE=QUANTITY.`);
      return { type: m[1]!, quantity: Number(m[2]), ...(m[3] ? { size: m[3] } : {}) };
    });
    const f = await client().patch<FormationJson[]>(`/apps/${enc(o.app)}/formation`, { updates });
    console.log(`Scaled to ${f.map((x) => `${x.type}=${x.quantity}`).join(' ')}`);
  });
  appOpt(program.command('ps:type [sizes...]').alias('ps:resize').description('show or set dyno sizes: web=standard-2x worker=basic, or one size for every type')
    .option('--json', 'output JSON')).action(async (sizes: string[], o: { app: string; json?: boolean }) => {
    const api = client();
    let f = await api.get<FormationJson[]>(`/apps/${enc(o.app)}/formation`);
    if (sizes.length) {
      const updates = sizes.length === 1 && !sizes[0]!.includes('=')
        ? f.map((x) => ({ type: x.type, size: sizes[0]! }))
        : sizes.map((p) => {
          const m = /^([A-Za-z0-9_-]+)=(\S+)$/.exec(p);
          if (!m) throw new CliError(`"${p}" is not TYPE=SIZE (e.g. web=standard-2x).`);
          return { type: m[1]!, size: m[2]! };
        });
      if (!updates.length) throw new CliError(`${o.app} has no process types yet; deploy it first or name one: \`slipway ps:type web=${sizes[0]}\`.`);
      f = await api.patch<FormationJson[]>(`/apps/${enc(o.app)}/formation`, { updates });
    }
    if (o.json) return printJson(f);
    console.log(table(f.map((x) => [x.type, x.size, String(x.quantity)]), ['Type', 'Size', 'Qty']));
  });
  appOpt(program.command('ps:restart [dyno]').description('restart dynos (all, a type, or one)')).action(async (dyno: string | undefined, o: { app: string }) => {
    await client().delete(`/apps/${enc(o.app)}/dynos${dyno ? `/${enc(dyno)}` : ''}`);
    console.log(`Restarted ${dyno ?? 'all dynos'} of ${o.app}.`);
  });

  appOpt(program.command('ps:stop <dyno>').description('stop a one-off dyno (run.N)')).action(async (dyno: string, o: { app: string }) => {
    await client().post(`/apps/${enc(o.app)}/dynos/${enc(dyno)}/actions/stop`, {});
    console.log(`Stopped ${dyno} of ${o.app}.`);
  });

  // Heroku's own name for `run --detached`.
  appOpt(program.command('run:detached <command...>').description('run a one-off command in a dyno of the current release in the background; its output goes to the logs')
    .option('-e, --env <pairs>', 'extra variables: "K=V;K2=V2"').option('-s, --size <size>', 'dyno size (default standard-1x)'))
    .action(async (command: string[], o: { app: string; env?: string; size?: string }) => {
      const d = await client().post<{ name: string }>(`/apps/${enc(o.app)}/dynos`, { command: command.join(' '), env: envPairs(o.env), attach: false, ...(o.size ? { size: o.size } : {}) });
      saidDetached(command, o.app, d.name);
    });

  appOpt(program.command('run <command...>').description('run a one-off command in a dyno of the current release; exits with its exit code')
    .option('-e, --env <pairs>', 'extra variables: "K=V;K2=V2"').option('--detached', 'start it and return; output goes to the logs').option('-s, --size <size>', 'dyno size (default standard-1x)'))
    .action(async (command: string[], o: { app: string; env?: string; detached?: boolean; size?: string }) => {
      const api = client();
      const d = await api.post<{ id: string; name: string; attach_url: string }>(`/apps/${enc(o.app)}/dynos`, { command: command.join(' '), env: envPairs(o.env), attach: !o.detached, ...(o.size ? { size: o.size } : {}) });
      if (o.detached) { saidDetached(command, o.app, d.name); return; }
      process.stderr.write(dim(`Running \`${command.join(' ')}\` on ${o.app}… ${d.name}\n`));
      // The keyboard (or piped input) goes to the dyno beside the output; the dyno's end ends both.
      const sending = new AbortController();
      const upload = api.upload(`/apps/${enc(o.app)}/dynos/${d.id}/input`, process.stdin, sending.signal);
      await api.stream(d.attach_url, process.stdout, process.stderr, { 'x-slipway-input': 'stream' });
      sending.abort();
      process.stdin.destroy();
      await upload;
      let state = await api.get<{ state: string; exit_code: number | null }>(`/apps/${enc(o.app)}/dynos/${d.id}`);
      while (state.state !== 'down') { await sleep(100); state = await api.get(`/apps/${enc(o.app)}/dynos/${d.id}`); }
      process.exitCode = state.exit_code ?? 1;
    });

  appOpt(program.command('logs').description('the app\'s log: dynos, router, builds, releases')
    .option('-n, --num <lines>', 'how many lines', '100').option('-t, --tail', 'keep following').option('-d, --dyno <dyno>', 'only this dyno').option('-s, --source <source>', 'only this source (app, slipway)'))
    .action(async (o: { app: string; num: string; tail?: boolean; dyno?: string; source?: string }) => {
      const api = client();
      const s = await api.post<{ logplex_url: string }>(`/apps/${enc(o.app)}/log-sessions`, { lines: Number(o.num), tail: !!o.tail, dyno: o.dyno, source: o.source });
      await api.stream(s.logplex_url, process.stdout);
    });
}
