// `npm test`'s runner (scripts/test.sh): the test files in the order given, three at a time (or
// SLIPWAY_TEST_CONCURRENCY's number), each with a 600 s limit, as `node --test --test-concurrency=3
// --test-timeout=600000` runs them but without its sorting by name (scripts/test.sh passes the
// longest first). Three on the 2-CPU machine: the end-to-end files wait on servers, dynos and
// timers much of their time (two at a time left the CPUs 18–29 % idle); see docs/benchmarks.md,
// "the suite". TAP on stdout; each file's wall time to the file named after the number
// (scripts/file-times.mjs). Exits 1 when a test failed.
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { run } from 'node:test';
import { tap } from 'node:test/reporters';
import fileTimes from './file-times.mjs';

// scripts/test.sh passes SLIPWAY_TEST_CONCURRENCY (or 3) first.
const [given, timesFile, ...files] = process.argv.slice(2);
const concurrency = Number(given);
if (!/^[1-9][0-9]*$/.test(given)) {
  console.error(`SLIPWAY_TEST_CONCURRENCY must be a whole number of files at a time (1 or more), not ${JSON.stringify(given)}`);
  process.exit(2);
}
const stream = run({ files, concurrency, timeout: 600_000 });
stream.on('test:fail', () => { process.exitCode = 1; });
const out = new PassThrough({ objectMode: true });
const times = new PassThrough({ objectMode: true });
stream.pipe(out);
stream.pipe(times);
out.compose(tap).pipe(process.stdout);
times.compose(fileTimes).pipe(fs.createWriteStream(timesFile));
