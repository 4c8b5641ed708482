// Whether node_modules holds exactly the tree of the app's npm lockfile, by npm's own record of what
// it installed (node_modules/.package-lock.json, written by npm after each install). Exits 0 when it
// does, so `npm install` would find nothing to do, or — with `prune` — when the lockfile has no
// devDependencies either, so `npm prune --omit=dev` would remove nothing; else 1. Optional packages
// for another platform (fsevents for macOS, say) are not expected: npm leaves them out here.
// Every doubt (a lockfile without "packages", an unreadable file) answers 1: npm then runs.
// Run as `node lockfile-tree.js [install|prune]` in the app's folder, or required (treeState).
const fs = require('fs');

function packages(file) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')).packages;
  if (!p || typeof p !== 'object') throw new Error(`${file} has no "packages"`);
  return p;
}

// npm's os/cpu/libc rule: a "!x" entry excludes x; other entries, when there are any, list what is allowed.
function allows(list, value) {
  if (!Array.isArray(list) || !list.length) return true;
  if (list.includes(`!${value}`)) return false;
  const allowed = list.filter((x) => !String(x).startsWith('!'));
  return !allowed.length || allowed.includes(value);
}

let libc;
const thisLibc = () => (libc ??= process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl');
const forThisPlatform = (p) => allows(p.os, process.platform) && allows(p.cpu, process.arch) && (!p.libc || allows(p.libc, thisLibc()));

/**
 * 'prune' when node_modules (`modules`: its folder) holds the lockfile's tree and the lockfile has no
 * devDependencies, 'install' when it holds the tree, '' otherwise. Required by install.sh's first node
 * start to check the cached tree before it is copied in (the copy is the same files).
 */
function treeState(modules = 'node_modules') {
  try {
    const lock = packages(fs.existsSync('npm-shrinkwrap.json') ? 'npm-shrinkwrap.json' : 'package-lock.json');
    const installed = packages(`${modules}/.package-lock.json`);
    const wanted = Object.keys(lock).filter((k) => k !== '' && !((lock[k].optional || lock[k].devOptional) && !forThisPlatform(lock[k])));
    const same = wanted.length === Object.keys(installed).length && wanted.every((k) => {
      const a = lock[k];
      const b = installed[k];
      return b && a.version === b.version && a.resolved === b.resolved && a.integrity === b.integrity && Boolean(a.link) === Boolean(b.link);
    });
    const dev = wanted.some((k) => lock[k].dev || lock[k].devOptional || lock[k].extraneous);
    return !same ? '' : dev ? 'install' : 'prune';
  } catch {
    return '';
  }
}

module.exports = treeState;
if (require.main === module) {
  const state = treeState();
  process.exit(state === 'prune' || (state === 'install' && process.argv[2] !== 'prune') ? 0 : 1);
}
