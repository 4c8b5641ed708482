// Probes the sandbox from inside a test run and reports in TAP. Passing means isolated.
import fs from 'node:fs';
import path from 'node:path';

const results = [];
const check = (name, fn) => {
  try { const ok = fn(); results.push({ name, ok: ok === true, detail: ok === true ? '' : String(ok) }); }
  catch (e) { results.push({ name, ok: false, detail: e.message }); }
};
const throws = (fn) => { try { fn(); return false; } catch { return true; } };

check("cannot read Slipway's data folder", () => {
  const dir = process.env.SLIPWAY_PROBE_DATA_DIR;
  if (!dir) return 'SLIPWAY_PROBE_DATA_DIR is not set (ci:config:set it to the server data folder)';
  if (!throws(() => fs.readFileSync(path.join(dir, 'slipway.db')))) return 'read slipway.db';
  const listing = (() => { try { return fs.readdirSync(dir); } catch { return []; } })();
  return listing.includes('slipway.db') ? `listed ${listing.join(',')}` : true;
});
check('is not root', () => process.getuid() !== 0 || 'uid 0');
check('cannot write outside the workspace', () => throws(() => fs.writeFileSync('/usr/local/slipway-probe', 'x')) || 'wrote /usr/local');
check('HOME is the app dir', () => process.env.HOME === process.cwd() || `${process.env.HOME} vs ${process.cwd()}`);
check('CI env', () => {
  const missing = ['HEROKU_TEST_RUN_ID', 'HEROKU_TEST_RUN_NUMBER', 'HEROKU_TEST_RUN_COMMIT_VERSION', 'CI_NODE_TOTAL', 'CI_NODE_INDEX'].filter((k) => !process.env[k]);
  return (process.env.CI === 'true' && missing.length === 0) || `missing ${missing.join(',')}`;
});

console.log('TAP version 13');
console.log(`1..${results.length}`);
results.forEach((r, i) => {
  console.log(`${r.ok ? 'ok' : 'not ok'} ${i + 1} - ${r.name}`);
  if (!r.ok) console.log(`  ---\n  message: ${JSON.stringify(r.detail)}\n  ...`);
});
