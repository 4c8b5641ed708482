// git's credential helper protocol for the Slipway server: `get` answers with the token from
// `slipway login` (or SLIPWAY_TOKEN) when git asks about this server, nothing else. git starts it
// twice a push (get, then store): `store` ends in the shell, `get` in bin/slipway-git-credential when
// its answer is plain, else here (bin/slipway.js runs it without loading the rest of the CLI).
import { loadCredentials } from './context.js';

async function readStdin(): Promise<string> {
  let s = '';
  for await (const c of process.stdin) s += c;
  return s;
}

/** Answer git's `operation` (get, store, erase) read from stdin. */
export async function gitCredential(operation: string | undefined): Promise<void> {
  const input = await readStdin();
  if (operation !== 'get') return;
  const fields = Object.fromEntries(input.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const creds = loadCredentials();
  const server = new URL(creds.url);
  if (!creds.token || fields['host'] !== server.host || `${fields['protocol']}:` !== server.protocol) return;
  process.stdout.write(`username=slipway\npassword=${creds.token}\n`);
}
