// The heroku CLI on a pseudo-terminal, as a user types at it: util-linux `script` gives the CLI a
// terminal of a known size; the test types into it and waits for what the terminal shows.
import { spawn } from 'node:child_process';
import { HEROKU_BIN, herokuEnv, type HerokuServer } from './helpers.js';
import { waitFor } from '../helpers/runs.js';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface Terminal { type(text: string): void; screen(): string; until(what: string, re: RegExp, ms?: number): Promise<void>; exited: Promise<number> }

/** `heroku <args>` on a fresh terminal of 100x30; everything typed goes through the terminal's line discipline. */
export function herokuOnTerminal(s: HerokuServer, args: string[]): Terminal {
  const line = `stty cols 100 rows 30; exec ${[HEROKU_BIN, ...args].map(q).join(' ')}`;
  const p = spawn('script', ['--quiet', '--return', '--command', line, '/dev/null'], { cwd: s.home, env: { ...herokuEnv(s), TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (c) => { out += c; });
  p.stderr.on('data', (c) => { out += c; });
  const exited = new Promise<number>((r) => p.once('close', (code) => { p.stdin.destroy(); r(code ?? -1); }));
  return {
    type: (text) => { p.stdin.write(text); },
    screen: () => out,
    until: async (what, re, ms = 30_000) => { await waitFor(what, async () => re.test(out) || undefined, ms).catch((e: Error) => { p.kill('SIGKILL'); throw new Error(`${e.message}\n--- screen ---\n${out}`); }); },
    exited,
  };
}
