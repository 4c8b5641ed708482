// What an attached one-off dyno's terminal needs: the pseudo-terminal wrapper (util-linux
// `script`, which relays its stdin to the terminal and exits with the command's status), the
// window size the heroku CLI sends, and the end of piped input the CLI marks with a ^D byte.
import { q } from '../buildpacks/shell.js';

export interface TerminalSize { columns: number; lines: number }

const clamp = (n: number) => Math.min(1000, Math.max(1, Math.trunc(n)));

/** The window size from the CLI's `COLUMNS`/`LINES` (numbers or strings); undefined when it sent none (no terminal). */
export function terminalSize(env: Record<string, string | number>): TerminalSize | undefined {
  const columns = Number(env['COLUMNS']);
  const lines = Number(env['LINES']);
  if (!Number.isFinite(columns) || !Number.isFinite(lines) || columns < 1 || lines < 1) return undefined;
  return { columns: clamp(columns), lines: clamp(lines) };
}

/** `argv` run on a new pseudo-terminal of `size`: Ctrl-C and ^D reach it as a terminal's keys do. */
export function inTerminal(scriptBin: string, argv: string[], size: TerminalSize): string[] {
  // script runs the line with /bin/sh; stty sets the window before the command starts.
  const line = `stty cols ${size.columns} rows ${size.lines} 2>/dev/null; exec ${argv.map(q).join(' ')}`;
  return [scriptBin, '--quiet', '--return', '--flush', '--command', line, '/dev/null'];
}

/** Piped (not terminal) input ends where the CLI wrote ^D after the last byte of its stdin. */
export function splitAtEndOfInput(chunk: Buffer): { data: Buffer; ended: boolean } {
  const at = chunk.indexOf(0x04);
  return at < 0 ? { data: chunk, ended: false } : { data: chunk.subarray(0, at), ended: true };
}
