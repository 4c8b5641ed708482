// User acceptance test: the app's own server, driven in headless Chromium by playwright-core.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { chromium } = require('playwright-core');
const { createServer } = require('../server.js');

let server;
let browser;
let url;

before(async () => {
  server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${server.address().port}/`;
  // GOOGLE_CHROME_BIN comes from the heroku/google-chrome buildpack; the flags are its shim's.
  browser = await chromium.launch({
    executablePath: process.env.GOOGLE_CHROME_BIN,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

test('page shows the greeting', async () => {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    assert.equal(await page.textContent('#greeting'), 'Hello from Slipway');
    assert.equal(await page.textContent('#message'), 'Nothing said yet');
  } finally {
    await page.close();
  }
});

test('clicking the button says thanks', async () => {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.click('#thank');
    assert.equal(await page.textContent('#message'), 'Thanks!');
  } finally {
    await page.close();
  }
});
