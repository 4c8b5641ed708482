// CI test: reach a URL (an internal service of the space), report it as TAP.
const url = process.argv[2];
console.log('1..1');
fetch(url, { signal: AbortSignal.timeout(3000) })
  .then(async (r) => { console.log(`ok 1 - reached ${url}: ${r.status} ${(await r.text()).trim()}`); })
  .catch((e) => { console.log(`not ok 1 - could not reach ${url}: ${e.cause?.code ?? e.name}`); process.exitCode = 1; });
