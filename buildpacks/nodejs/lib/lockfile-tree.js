// Whether node_modules holds exactly the tree of the app's npm lockfile, by npm's own record of what
// it installed (node_modules/.package-lock.json, written by npm after each install). Exits 0 when it
// does and `node lockfile-tree.js install` would find nothing to do, or — with `prune` — when the
// lockfile has no devDependencies either, so `npm prune --omit=dev` would remove nothing; else 1.
// Every doubt (a lockfile without "packages", an unreadable file) answers 1: npm then runs.
const fs = require('fs');

function packages(file) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')).packages;
  if (!p || typeof p !== 'object') throw new Error(`${file} has no "packages"`);
  return p;
}

try {
  const lock = packages(fs.existsSync('npm-shrinkwrap.json') ? 'npm-shrinkwrap.json' : 'package-lock.json');
  const installed = packages('node_modules/.package-lock.json');
  const wanted = Object.keys(lock).filter((k) => k !== '');
  const same = wanted.length === Object.keys(installed).length && wanted.every((k) => {
    const a = lock[k];
    const b = installed[k];
    return b && a.version === b.version && a.resolved === b.resolved && a.integrity === b.integrity && Boolean(a.link) === Boolean(b.link);
  });
  const dev = wanted.some((k) => lock[k].dev || lock[k].devOptional || lock[k].extraneous);
  process.exit(same && (process.argv[2] !== 'prune' || !dev) ? 0 : 1);
} catch {
  process.exit(1);
}
