// Destructive commands: `--confirm NAME`, or, at a terminal, type the name when asked (as the
// heroku CLI does). Without a terminal and without --confirm nothing is deleted.
import readline from 'node:readline/promises';
import { CliError } from './errors.js';

export async function confirmName(name: string, given: string | undefined, warning: string): Promise<void> {
  if (given === name) return;
  if (given !== undefined) throw new CliError(`Confirmation "${given}" does not match "${name}"; nothing was changed.`);
  const hint = `Run again with --confirm ${name}.`;
  if (!process.stdin.isTTY) throw new CliError(`${warning} ${hint}`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(` !    ${warning}\n !    To proceed, type ${name} or re-run this command with --confirm ${name}\n\n> `)).trim();
    if (answer !== name) throw new CliError(`Confirmation "${answer}" did not match "${name}"; nothing was changed.`);
  } finally { rl.close(); }
}
