import { test } from 'node:test';
import assert from 'node:assert/strict';
import { html, raw } from './html.js';

test('interpolated text is escaped, nested html is not', () => {
  const name = '<script>alert("x")</script> & \'y\'';
  const inner = html`<b>${name}</b>`;
  assert.equal(html`<p title="${name}">${inner}</p>`.value,
    '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"><b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</b></p>');
});

test('arrays are joined; null, undefined and false vanish; numbers print; raw passes through', () => {
  assert.equal(html`<ul>${[1, 2].map((n) => html`<li>${n}</li>`)}</ul>${null}${undefined}${false}${0}${raw('<br>')}`.value, '<ul><li>1</li><li>2</li></ul>0<br>');
});
