#!/usr/bin/env -S sh -c 'y=; [ "$1" = server ] && y=--max-semi-space-size=2; MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} exec node $y "$0" "$@"'
// glibc's malloc gives each thread that allocates an arena of its own; a process that idles most of
// the time (the server, its router and local agent) holds less with two. The shell line sets that
// before node starts (glibc reads it only then) unless MALLOC_ARENA_MAX is set already.
// The server's young generation stays at most 2 MB a half (V8's default grows it to 16 MB): V8 starts
// a full collection whenever the old generation's room is less than the young generation's size, so
// at the server's small heap a grown young generation meant one every few batches of router lines
// (bench/router; src/server-heap.ts). It can only be set as node starts.
// git starts the credential helper twice a push: it loads only what it needs (about 0.1 s less each).
if (process.argv[2] === 'git:credential') {
  const { gitCredential } = await import('../dist/src/cli/git-credential.js');
  await gitCredential(process.argv[3]).catch((e) => { process.stderr.write(`slipway git:credential: ${e.message}\n`); process.exitCode = 1; });
} else {
  const { main } = await import('../dist/src/cli/main.js');
  await main(process.argv);
}
