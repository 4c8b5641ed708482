import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inTerminal, splitAtEndOfInput, terminalSize } from './one-off-terminal.js';

test('the CLI sends COLUMNS and LINES as numbers; strings work too; none means no terminal', () => {
  assert.deepEqual(terminalSize({ COLUMNS: 120, LINES: 40 }), { columns: 120, lines: 40 });
  assert.deepEqual(terminalSize({ COLUMNS: '80', LINES: '24' }), { columns: 80, lines: 24 });
  assert.equal(terminalSize({ TERM: 'xterm' }), undefined);
  assert.equal(terminalSize({ COLUMNS: 'wide', LINES: 3 }), undefined);
  assert.deepEqual(terminalSize({ COLUMNS: 99999, LINES: 2.5 }), { columns: 1000, lines: 2 });
});

test('the command runs under script with the window set first; quotes survive', () => {
  const argv = inTerminal('/usr/bin/script', ['bash', '-c', "echo 'hi'"], { columns: 100, lines: 30 });
  assert.deepEqual(argv.slice(0, 5), ['/usr/bin/script', '--quiet', '--return', '--flush', '--command']);
  assert.equal(argv[5], `stty cols 100 rows 30 2>/dev/null; exec 'bash' '-c' 'echo '\\''hi'\\'''`);
  assert.equal(argv[6], '/dev/null');
});

test('piped input ends at the ^D the CLI appends; bytes after it are dropped', () => {
  assert.deepEqual(splitAtEndOfInput(Buffer.from('echo a\n')), { data: Buffer.from('echo a\n'), ended: false });
  const r = splitAtEndOfInput(Buffer.from('exit 2\n\u0004junk'));
  assert.equal(r.data.toString(), 'exit 2\n');
  assert.equal(r.ended, true);
});
