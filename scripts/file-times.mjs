// A node:test reporter for scripts/test.sh: each test file's wall time (start-up and hooks
// included), one `SECONDS PATH` line per file, longest first, in the format of
// scripts/test-times.txt (the order the next runs start the files in).
import path from 'node:path';

export default async function* fileTimes(source) {
  const times = [];
  for await (const e of source) {
    // A file's own test is named by its path (as given to the runner: relative or absolute).
    if (e.type === 'test:complete' && e.data.nesting === 0 && e.data.file && path.resolve(e.data.name) === e.data.file) {
      times.push([Math.round(e.data.details.duration_ms / 1000), path.relative(process.cwd(), e.data.file)]);
    }
  }
  times.sort((a, b) => b[0] - a[0] || a[1].localeCompare(b[1]));
  for (const [s, f] of times) yield `${s} ${f}\n`;
}
