/** Line and column (1-based) of a character offset in text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/** Parse JSON, turning V8's "at position N" into a line and column a person can find. */
export function parseJsonWithPosition(text: string, fileName: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const where = m ? (({ line, column }) => ` at line ${line}, column ${column}`)(lineColumn(text, Number(m[1]))) : '';
    const reason = msg.replace(/\s*in JSON at position \d+.*$/s, '').replace(/ \(line \d+ column \d+\)$/, '');
    return { ok: false, message: `${fileName} is not valid JSON${where}: ${reason}` };
  }
}
