// What kind of thing a buildpack URL in app.json points at.
import { findBuiltin } from './builtin.js';

export type BuildpackRef =
  | { kind: 'builtin'; name: string; dir: string }
  | { kind: 'app-folder'; path: string } // "./folder" inside the app's source
  | { kind: 'local'; path: string } // an absolute folder on the runner
  | { kind: 'git'; url: string; ref?: string };

export type RefResult = { ok: true; ref: BuildpackRef } | { ok: false; message: string };

/** Classify a buildpack URL; unknown names fail with the list of what is available. */
export function parseBuildpackRef(url: string, builtinNames: string[]): RefResult {
  const builtin = findBuiltin(url);
  if (builtin) return { ok: true, ref: { kind: 'builtin', name: builtin.name, dir: builtin.dir } };
  if (url.startsWith('./') || url.startsWith('../')) {
    if (url.split('/').includes('..')) return { ok: false, message: `Buildpack "${url}" points outside the app; use a folder inside it such as "./buildpack".` };
    return { ok: true, ref: { kind: 'app-folder', path: url.slice(2) } };
  }
  if (url.startsWith('file://')) return { ok: true, ref: { kind: 'local', path: decodeURIComponent(url.slice(7)) } };
  if (url.startsWith('/')) return { ok: true, ref: { kind: 'local', path: url } };
  if (/^(https?|git|ssh):\/\//.test(url) || /^[\w.-]+@[\w.-]+:/.test(url)) {
    const [base, ref] = url.split('#');
    return { ok: true, ref: { kind: 'git', url: base!, ref: ref || undefined } };
  }
  return { ok: false, message: `Unknown buildpack "${url}". Use a built-in (${builtinNames.join(', ')}), a git URL (optionally with #ref), an absolute folder, or "./folder" inside the app.` };
}
