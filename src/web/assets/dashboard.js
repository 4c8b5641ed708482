// Slipway dashboard: the only script. It keeps pages live without reloading them: parts of a page
// are re-rendered by the server and swapped in (polling), output follows over Server-Sent Events.
// All HTML it inserts comes from the server, which escapes it.
'use strict';

/** "12s ago" for every <time data-age> under root. */
function ages(root) {
  const now = Date.now();
  for (const t of root.querySelectorAll('time[data-age]')) {
    const s = Math.max(0, Math.round((now - Date.parse(t.getAttribute('datetime'))) / 1000));
    const text = s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
    t.textContent = `${text} ago`;
    t.title = t.getAttribute('datetime');
  }
}

const nearBottom = (el) => el.scrollHeight - el.scrollTop - el.clientHeight < 40;

/** Follow a <pre data-live="url">: append each event's HTML; pausable; ends on `end`. */
function follow(pre) {
  if (pre.dataset.following) return;
  pre.dataset.following = '1';
  const es = new EventSource(pre.dataset.live);
  const held = [];
  pre.followPaused = false;
  pre.flushHeld = () => { for (const h of held.splice(0)) append(h); };
  const append = (h) => {
    const stick = nearBottom(pre);
    pre.insertAdjacentHTML('beforeend', h);
    if (stick || pre.hasAttribute('data-follow')) pre.scrollTop = pre.scrollHeight;
  };
  es.onmessage = (e) => { if (pre.followPaused) held.push(e.data); else append(e.data); };
  es.addEventListener('end', () => { es.close(); pre.dataset.ended = '1'; });
  // Stop when the page part holding it is replaced.
  const gone = setInterval(() => { if (!pre.isConnected) { es.close(); clearInterval(gone); } }, 2000);
}

/** Wire everything under root: live logs, lazy outputs, dialogs, tabs, reveal, pause, earlier. */
function wire(root) {
  ages(root);
  for (const pre of root.querySelectorAll('pre[data-live]')) follow(pre);
  for (const d of root.querySelectorAll('details[data-src]')) {
    d.addEventListener('toggle', async () => {
      if (!d.open || d.dataset.loaded) return;
      d.dataset.loaded = '1';
      const res = await fetch(d.dataset.src, { headers: { accept: 'application/json' } });
      const w = await res.json();
      const pre = d.querySelector('pre');
      pre.innerHTML = w.html;
      if (w.live) { pre.dataset.live = w.live; follow(pre); }
    });
  }
}

document.addEventListener('click', async (e) => {
  const t = e.target.closest('button');
  if (!t) return;
  if (t.dataset.openDialog) document.getElementById(t.dataset.openDialog)?.showModal();
  else if (t.hasAttribute('data-close-dialog')) t.closest('dialog')?.close();
  else if (t.dataset.tab) {
    for (const b of document.querySelectorAll('[data-tab]')) b.setAttribute('aria-selected', String(b === t));
    for (const p of document.querySelectorAll('[data-panel]')) p.hidden = p.dataset.panel !== t.dataset.tab;
  } else if (t.hasAttribute('data-reveal')) {
    // The value is not in the page: fetch it (POST with the CSRF token), and drop it again on Hide.
    const cell = t.parentElement;
    const secret = cell.querySelector('.secret');
    if (secret.hidden) {
      const csrf = document.querySelector('input[name="_csrf"]')?.value ?? '';
      const res = await fetch(t.dataset.reveal, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(csrf)}` });
      if (!res.ok) { t.textContent = 'Reveal (failed: reload the page)'; return; }
      secret.textContent = (await res.json()).value;
    } else secret.textContent = '';
    secret.hidden = !secret.hidden;
    cell.querySelector('.masked').hidden = !secret.hidden;
    t.textContent = secret.hidden ? 'Reveal' : 'Hide';
  } else if (t.dataset.pause) {
    const pre = document.getElementById(t.dataset.pause);
    pre.followPaused = !pre.followPaused;
    pre.classList.toggle('paused', pre.followPaused);
    t.textContent = pre.followPaused ? 'Resume' : 'Pause';
    if (!pre.followPaused && pre.flushHeld) pre.flushHeld();
  } else if (t.dataset.earlier) {
    t.disabled = true;
    const res = await fetch(`${t.dataset.earlier}?before=${t.dataset.before}`, { headers: { accept: 'application/json' } });
    const w = await res.json();
    const pre = t.parentElement.querySelector('pre');
    const from = pre.scrollHeight;
    pre.insertAdjacentHTML('afterbegin', w.html);
    pre.scrollTop += pre.scrollHeight - from;
    t.dataset.before = String(w.start);
    t.disabled = false;
    if (w.start === 0) t.remove();
    else t.textContent = `Load earlier output (${Math.ceil(w.start / 1024)} KB before this)`;
  }
});

/** Poll the page's parts; swap those that changed (keeping open rows open); stop when done. */
function poll(main) {
  const last = {};
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      const res = await fetch(main.dataset.poll, { headers: { accept: 'application/json' } });
      if (res.status === 401) { location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`; return; }
      if (res.ok) {
        const state = await res.json();
        for (const [name, h] of Object.entries(state.parts)) {
          const el = document.querySelector(`[data-part="${name}"]`);
          if (!el || last[name] === h) continue;
          if (last[name] === undefined && el.innerHTML.trim() === h.trim()) { last[name] = h; continue; }
          if (el.querySelector('dialog[open]')) continue; // don't pull a confirmation away from under the user
          const open = [...el.querySelectorAll('details[open]')].map((d) => d.dataset.key || d.querySelector('summary')?.textContent);
          last[name] = h;
          el.innerHTML = h;
          for (const d of el.querySelectorAll('details')) if (open.includes(d.dataset.key || d.querySelector('summary')?.textContent)) d.open = true;
          wire(el);
        }
        if (state.status) document.body.dataset.runStatus = state.status;
        // A run page opened before app.json said how many nodes there are gets its node panels now.
        if (state.nodes && document.querySelector('[data-awaiting-nodes]')) { location.reload(); return; }
        if (state.done) { stopped = true; document.body.dataset.done = '1'; return; }
      }
    } catch { /* the server restarts or the network blips: try again */ }
    setTimeout(tick, 1500);
  };
  setTimeout(tick, 1000);
}

document.addEventListener('DOMContentLoaded', () => {
  wire(document);
  const main = document.querySelector('main[data-poll]');
  if (main) poll(main);
  setInterval(() => ages(document), 5000);
});
