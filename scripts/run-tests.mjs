// `npm test`'s runner (scripts/test.sh): the test files in the order given, two at a time, each
// with a 600 s limit, as `node --test --test-concurrency=2 --test-timeout=600000` runs them but
// without its sorting by name (scripts/test.sh passes the longest first). TAP on stdout; each
// file's wall time to the file named first (scripts/file-times.mjs). Exits 1 when a test failed.
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { run } from 'node:test';
import { tap } from 'node:test/reporters';
import fileTimes from './file-times.mjs';

const [timesFile, ...files] = process.argv.slice(2);
const stream = run({ files, concurrency: 2, timeout: 600_000 });
stream.on('test:fail', () => { process.exitCode = 1; });
const out = new PassThrough({ objectMode: true });
const times = new PassThrough({ objectMode: true });
stream.pipe(out);
stream.pipe(times);
out.compose(tap).pipe(process.stdout);
times.compose(fileTimes).pipe(fs.createWriteStream(timesFile));
