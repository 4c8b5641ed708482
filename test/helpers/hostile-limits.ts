// A hostile app for the resource-limit attacks: a web process, a memory hog, a fork bomb and a
// disk filler. Every bomb is bounded so that a regression cannot hurt the machine: memory stops
// at 3 GB, processes at 1000, disk at 4 GB, and each gives up by itself after a minute.
import fs from 'node:fs';
import path from 'node:path';
import { exampleRepo } from './apps.js';

const SERVER = `require('http').createServer((q, r) => r.end('ok ' + process.env.DYNO + '\\n')).listen(process.env.PORT);\n`;

// Allocates (and touches) 64 MB at a time up to HOG_MB (at most 3072), pausing 6 s at HOG_PAUSE_AT.
const HOG = `const target = Math.min(3072, Number(process.env.HOG_MB || 3072));
const pauseAt = Number(process.env.HOG_PAUSE_AT || 0);
const held = [];
let mb = 0;
setTimeout(() => process.exit(3), 60000);
const step = () => {
  if (mb >= target) { console.log('reached ' + mb + ' MB'); return setInterval(() => {}, 1000); }
  held.push(Buffer.alloc(64 * 1024 * 1024, 1));
  mb += 64;
  console.log('allocated ' + mb + ' MB');
  setTimeout(step, pauseAt && mb >= pauseAt && mb < pauseAt + 64 ? 6000 : 50);
};
step();
`;

// Forks up to 1000 sleeping children (each gone after 20 s), reports how many it got.
const FORK = `import os, sys, time, signal
kids, failed = [], 0
deadline = time.time() + 15
while len(kids) < 1000 and time.time() < deadline:
    try:
        pid = os.fork()
    except OSError:
        failed += 1
        if failed > 50: break
        time.sleep(0.01)
        continue
    if pid == 0:
        time.sleep(20)
        os._exit(0)
    kids.append(pid)
print('forked %d, refused %d' % (len(kids), failed), flush=True)
time.sleep(3)
for k in kids:
    try: os.kill(k, signal.SIGKILL)
    except OSError: pass
`;

// Writes 100 MB files into the app folder, a megabyte at a time, up to 4 GB; on an error it says
// which after how many MB, and whether its temporary folder still takes a megabyte.
const FILL = `const fs = require('fs');
const chunk = Buffer.alloc(1024 * 1024, 7);
let mb = 0;
try {
  for (let i = 1; i <= 40; i++) {
    const fd = fs.openSync('fill-' + i, 'w');
    try { for (let j = 0; j < 100; j++) { fs.writeSync(fd, chunk); mb++; } } finally { fs.closeSync(fd); }
    console.log('wrote ' + mb + ' MB');
  }
  console.log('filled 4000 MB');
} catch (e) {
  let tmp = 'written';
  try { fs.writeFileSync((process.env.TMPDIR || '/tmp') + '/more', chunk); } catch (e2) { tmp = e2.code; }
  console.log('stopped by ' + e.code + ' after ' + mb + ' MB; tmp: ' + tmp);
  process.exit(1);
}
`;

/** A git repository holding the hostile app (Procfile: web, hog, fill). */
export function hostileLimitsRepo(appJson: object = {}): string {
  return exampleRepo('node-passing', (dir) => {
    for (const f of fs.readdirSync(dir)) if (f !== 'package.json') fs.rmSync(path.join(dir, f), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'hostile-limits', version: '1.0.0', private: true }));
    fs.writeFileSync(path.join(dir, 'Procfile'), 'web: node server.js\nhog: node hog.js\nfill: node fill.js\n');
    fs.writeFileSync(path.join(dir, 'server.js'), SERVER);
    fs.writeFileSync(path.join(dir, 'hog.js'), HOG);
    fs.writeFileSync(path.join(dir, 'fork.py'), FORK);
    fs.writeFileSync(path.join(dir, 'fill.js'), FILL);
    fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify(appJson));
  });
}

/** Processes on the host right now. */
export const hostProcessCount = (): number => fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
