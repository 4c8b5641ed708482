// The key a cached node_modules is kept under (modules-cache.sh): this format, the arch, Node.js,
// the npm version, the package manager spec, the build mode, package.json's dependency fields and
// the lockfiles and settings files, hashed. Run as `node modules-key.js NPM_VERSION PM_SPEC MODE` in
// the app's folder, or required (install.sh's one node start computes it with its other facts).
const fs = require('fs');
const crypto = require('crypto');

function modulesKey(npmVersion, pmSpec, mode) {
  const h = crypto.createHash('sha256');
  const p = JSON.parse(fs.readFileSync('package.json', 'utf8'));
  const deps = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'bundledDependencies', 'overrides', 'workspaces'].map((k) => p[k]);
  h.update(JSON.stringify(['modules-cache 1', process.arch, process.version, npmVersion, pmSpec, mode, deps]));
  for (const f of ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', '.npmrc', '.yarnrc']) { try { h.update(`\0${f}\0`); h.update(fs.readFileSync(f)); } catch { /* absent: only its name is hashed */ } }
  return h.digest('hex');
}

module.exports = modulesKey;
if (require.main === module) process.stdout.write(modulesKey(process.argv[2], process.argv[3], process.argv[4]));
