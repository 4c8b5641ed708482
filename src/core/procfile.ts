// Procfile: `<process type>: <command>` per line (Heroku's format).
import { keyProblem } from './tenant-keys.js';

export type ProcessTypes = Record<string, string>;
export type ProcfileParse = { ok: true; types: ProcessTypes } | { ok: false; message: string };

/** Parse a Procfile; a malformed line is reported with its number and what a valid line looks like. */
export function parseProcfile(text: string): ProcfileParse {
  const types: ProcessTypes = Object.create(null) as ProcessTypes;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z0-9_-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) return { ok: false, message: `Procfile line ${i + 1} is not "<process type>: <command>": ${JSON.stringify(raw.slice(0, 80))}` };
    const reserved = keyProblem('process type', m[1]!);
    if (reserved) return { ok: false, message: `Procfile line ${i + 1}: ${reserved}` };
    if (!m[2]) return { ok: false, message: `Procfile line ${i + 1}: process type "${m[1]}" has no command` };
    if (m[1]! in types) return { ok: false, message: `Procfile line ${i + 1}: process type "${m[1]}" is defined twice` };
    types[m[1]!] = m[2];
  }
  return { ok: true, types };
}

/**
 * `bin/release` output: YAML whose `default_process_types` maps types to commands. Only that
 * section is read (a flat map, as buildpacks write it); anything else is ignored.
 */
export function parseReleaseYaml(text: string): ProcessTypes {
  const types: ProcessTypes = Object.create(null) as ProcessTypes;
  let inSection = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^default_process_types:\s*(\{\s*\})?\s*$/.test(line)) { inSection = true; continue; }
    if (inSection) {
      const m = /^\s+([A-Za-z0-9_-]+):\s*(.+?)\s*$/.exec(line);
      if (m && keyProblem('process type', m[1]!)) continue; // a buildpack's reserved name: not a process type
      if (m) { types[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2'); continue; }
      if (/^\S/.test(line)) inSection = false;
    }
  }
  return types;
}
