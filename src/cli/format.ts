// Terminal output helpers: tables, colours only on a TTY, ages.
const tty = process.stdout.isTTY;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
export const green = paint('32');
export const red = paint('31');
export const yellow = paint('33');
export const dim = paint('2');
export const bold = paint('1');

export function statusColour(status: string): string {
  if (status === 'succeeded') return green(status);
  if (status === 'failed' || status === 'errored') return red(status);
  if (status === 'cancelled') return dim(status);
  return yellow(status);
}

export function table(rows: string[][], header: string[]): string {
  // eslint-disable-next-line no-control-regex -- ANSI colour codes are control characters
  const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => strip(r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c + ' '.repeat(Math.max(0, widths[i]! - strip(c).length))).join('  ').trimEnd();
  return [line(header.map(bold)), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

export const printJson = (v: unknown): void => { process.stdout.write(JSON.stringify(v, null, 2) + '\n'); };
