// Buildpacks that ship with Slipway, and the names and URLs that mean them.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's buildpacks/ folder (works from src via tsc output in dist/src). */
export const BUILTIN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../buildpacks');

interface Builtin { name: string; folder: string; aliases: string[] }

/** In detection order (Heroku's order, for the languages Slipway ships). */
export const BUILTINS: readonly Builtin[] = [
  { name: 'heroku/nodejs', folder: 'nodejs', aliases: ['nodejs', 'https://github.com/heroku/heroku-buildpack-nodejs', 'https://github.com/heroku/heroku-buildpack-nodejs.git', 'urn:buildpack:heroku/nodejs'] },
  // Never detected (bin/detect exits 1): only when app.json lists it.
  {
    name: 'heroku/google-chrome', folder: 'google-chrome',
    aliases: ['heroku/chrome-for-testing', 'https://github.com/heroku/heroku-buildpack-google-chrome', 'https://github.com/heroku/heroku-buildpack-google-chrome.git',
      'https://github.com/heroku/heroku-buildpack-chrome-for-testing', 'https://github.com/heroku/heroku-buildpack-chrome-for-testing.git'],
  },
];

/** The built-in a buildpack reference names, if any. */
export function findBuiltin(ref: string): (Builtin & { dir: string }) | undefined {
  const clean = ref.replace(/#.*$/, '').replace(/\/$/, '');
  const b = BUILTINS.find((x) => x.name === clean || x.aliases.includes(clean));
  return b && { ...b, dir: path.join(BUILTIN_DIR, b.folder) };
}

export const builtinNames = (): string[] => BUILTINS.flatMap((b) => [b.name]);
