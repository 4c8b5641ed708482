import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnsiToHtml, ansiToHtml, applySgr } from './ansi.js';

test('plain text is escaped and nothing else', () => {
  assert.equal(ansiToHtml('a < b & "c"\n'), 'a &lt; b &amp; &quot;c&quot;\n');
});

test('16 colours, bold and reset become spans with classes', () => {
  assert.equal(ansiToHtml('\x1b[31mred\x1b[0m plain \x1b[1;92mbold green\x1b[m'),
    '<span class="a-fg-c1">red</span> plain <span class="a-fg-c10 a-b">bold green</span>');
});

test('background, 39/49 defaults and 22 unbold', () => {
  assert.equal(ansiToHtml('\x1b[41;37mx\x1b[39my\x1b[49;1mz\x1b[22mw'),
    '<span class="a-fg-c7 a-bg-c1">x</span><span class="a-bg-c1">y</span><span class="a-b">z</span>w');
});

test('256-colour and truecolour become inline colours built from numbers', () => {
  assert.equal(ansiToHtml('\x1b[38;5;196ma\x1b[38;5;3mb\x1b[48;2;0;128;255mc'),
    '<span style="color:#ff0000">a</span><span class="a-fg-c3">b</span><span class="a-fg-c3" style="background:#0080ff">c</span>');
  assert.equal(ansiToHtml('\x1b[38;5;244mg'), '<span style="color:#808080">g</span>');
});

test('non-colour escapes (erase line, cursor, window title) are dropped; lone CR becomes a newline', () => {
  assert.equal(ansiToHtml('\x1b[2K\x1b[1Gdone\x1b]0;title\x07 ok\r\nnext\rover'), 'done ok\nnext\nover');
});

test('a sequence split across chunks is held back and the style carries over', () => {
  const c = new AnsiToHtml();
  assert.equal(c.push('ok \x1b[3'), 'ok ');
  assert.equal(c.push('2mgreen'), '<span class="a-fg-c2">green</span>');
  assert.equal(c.push(' still'), '<span class="a-fg-c2"> still</span>');
  assert.equal(c.push('\x1b[0m'), '');
  assert.equal(c.push('x\x1b['), 'x');
  assert.equal(c.flush(), '[');
});

test('inverse swaps colours; unknown parameters are ignored', () => {
  assert.deepEqual(applySgr({}, '7;31;99999'), { inverse: true, fg: 'c1' });
  assert.equal(ansiToHtml('\x1b[7mi'), '<span class="a-fg-inv-fg a-bg-inv-bg">i</span>');
});

test('escape characters cannot smuggle markup', () => {
  assert.equal(ansiToHtml('\x1b[31m<img src=x onerror=alert(1)>'), '<span class="a-fg-c1">&lt;img src=x onerror=alert(1)&gt;</span>');
});
