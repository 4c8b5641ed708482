// User acceptance test: the app's own server, driven in headless Chromium by playwright-core.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { chromium } = require('playwright-core');
const { createServer } = require('../server.js');

const EXPECTED_AFTER_BUY = process.env.UAT_EXPECTED_STATUS || 'Thanks! 1 item in your cart';
let server;
let browser;
let url;

before(async () => {
  server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: process.env.GOOGLE_CHROME_BIN,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('the page greets the visitor', async () => {
  const page = await browser.newPage();
  await page.goto(url);
  assert.equal(await page.textContent('#greeting'), 'Welcome to the shop');
  await page.close();
});

test('clicking Buy puts an item in the cart', async () => {
  const page = await browser.newPage();
  await page.goto(url);
  await page.click('#buy');
  assert.equal(await page.textContent('#status'), EXPECTED_AFTER_BUY);
  await page.close();
});
