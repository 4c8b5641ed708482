#!/usr/bin/env node
// git starts the credential helper twice a push: it loads only what it needs (about 0.1 s less each).
if (process.argv[2] === 'git:credential') {
  const { gitCredential } = await import('../dist/src/cli/git-credential.js');
  await gitCredential(process.argv[3]).catch((e) => { process.stderr.write(`slipway git:credential: ${e.message}\n`); process.exitCode = 1; });
} else {
  const { main } = await import('../dist/src/cli/main.js');
  await main(process.argv);
}
