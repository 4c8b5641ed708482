// ANSI escape sequences (SGR colours and styles) → HTML spans, chunk by chunk: the style carries over
// from one chunk to the next and a sequence cut by a chunk boundary waits for its end. Every other
// escape (cursor moves, erases, titles) is dropped; text is always escaped.
import { escapeHtml } from '../html.js';
/* eslint-disable no-control-regex -- matching escape sequences means matching control characters */

interface Style { fg?: string; bg?: string; bold?: boolean; dim?: boolean; italic?: boolean; underline?: boolean; inverse?: boolean }

// CSI … final byte, OSC … BEL/ST, or a two-byte escape.
const SEQ = /\x1b\[([0-9;:?<=>]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** The hex colour of entry n of the xterm 256-colour palette (16–255; 0–15 are classes). */
function palette256(n: number): string {
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  if (n >= 232) { const g = 8 + (n - 232) * 10; return `#${hex(g)}${hex(g)}${hex(g)}`; }
  const c = n - 16;
  const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
  return `#${hex(level(Math.floor(c / 36)))}${hex(level(Math.floor(c / 6) % 6))}${hex(level(c % 6))}`;
}

/** A colour from an extended (38/48) parameter list; consumes what it used. */
function extended(params: number[]): string | undefined {
  const mode = params.shift();
  if (mode === 5) {
    const n = params.shift();
    if (n === undefined || n < 0 || n > 255) return undefined;
    return n < 16 ? `c${n}` : palette256(n);
  }
  if (mode === 2) {
    const [r, g, b] = params.splice(0, 3).map((v) => Math.max(0, Math.min(255, v)));
    if (b === undefined) return undefined;
    return `#${[r!, g!, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  }
  return undefined;
}

/** Apply one SGR parameter list to a style. */
export function applySgr(style: Style, paramText: string): Style {
  const params = paramText === '' ? [0] : paramText.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  let s: Style = { ...style };
  while (params.length) {
    const p = params.shift()!;
    if (p === 0) s = {};
    else if (p === 1) s.bold = true;
    else if (p === 2) s.dim = true;
    else if (p === 3) s.italic = true;
    else if (p === 4) s.underline = true;
    else if (p === 7) s.inverse = true;
    else if (p === 22) { s.bold = false; s.dim = false; }
    else if (p === 23) s.italic = false;
    else if (p === 24) s.underline = false;
    else if (p === 27) s.inverse = false;
    else if (p >= 30 && p <= 37) s.fg = `c${p - 30}`;
    else if (p >= 90 && p <= 97) s.fg = `c${p - 90 + 8}`;
    else if (p >= 40 && p <= 47) s.bg = `c${p - 40}`;
    else if (p >= 100 && p <= 107) s.bg = `c${p - 100 + 8}`;
    else if (p === 39) delete s.fg;
    else if (p === 49) delete s.bg;
    else if (p === 38) { const c = extended(params); if (c) s.fg = c; }
    else if (p === 48) { const c = extended(params); if (c) s.bg = c; }
  }
  return s;
}

/** The opening tag for a style, or '' for the plain style. Colours are palette classes or #hex built from numbers. */
function openTag(s: Style): string {
  let fg = s.fg;
  let bg = s.bg;
  if (s.inverse) [fg, bg] = [bg ?? 'inv-fg', fg ?? 'inv-bg'];
  const classes: string[] = [];
  const styles: string[] = [];
  if (fg) { if (fg.startsWith('#')) styles.push(`color:${fg}`); else classes.push(`a-fg-${fg}`); }
  if (bg) { if (bg.startsWith('#')) styles.push(`background:${bg}`); else classes.push(`a-bg-${bg}`); }
  if (s.bold) classes.push('a-b');
  if (s.dim) classes.push('a-d');
  if (s.italic) classes.push('a-i');
  if (s.underline) classes.push('a-u');
  if (!classes.length && !styles.length) return '';
  return `<span${classes.length ? ` class="${classes.join(' ')}"` : ''}${styles.length ? ` style="${styles.join(';')}"` : ''}>`;
}

/** A converter for one stream: feed it chunks in order, get HTML for each. */
export class AnsiToHtml {
  private style: Style = {};
  private pending = '';

  push(chunk: string): string {
    let text = this.pending + chunk;
    this.pending = '';
    // Hold back a sequence that the chunk cut off (an ESC with no final byte yet).
    const esc = text.lastIndexOf('\x1b');
    if (esc >= 0 && text.length - esc < 256) {
      SEQ.lastIndex = esc;
      const m = SEQ.exec(text);
      if (!m || m.index !== esc) { this.pending = text.slice(esc); text = text.slice(0, esc); }
    }
    let out = '';
    let last = 0;
    SEQ.lastIndex = 0;
    for (let m = SEQ.exec(text); m; m = SEQ.exec(text)) {
      out += this.segment(text.slice(last, m.index));
      if (m[2] === 'm') this.style = applySgr(this.style, m[1] ?? '');
      last = SEQ.lastIndex;
    }
    return out + this.segment(text.slice(last));
  }

  /** Whatever is held back, as text (the stream ended mid-sequence). */
  flush(): string {
    const rest = this.pending.replace(/\x1b/g, '');
    this.pending = '';
    return this.segment(rest);
  }

  private segment(text: string): string {
    // Carriage returns redraw a line on a terminal; on a page they only get in the way. Stray ESCs go too.
    const clean = text.replace(/\r(?!\n)/g, '\n').replace(/\r/g, '').replace(/\x1b/g, '');
    if (!clean) return '';
    const open = openTag(this.style);
    return open ? `${open}${escapeHtml(clean)}</span>` : escapeHtml(clean);
  }
}

/** Convert one whole text. */
export function ansiToHtml(text: string): string {
  const c = new AnsiToHtml();
  return c.push(text) + c.flush();
}
