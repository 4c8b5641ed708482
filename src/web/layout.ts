// The page shell (head, top bar, sign-out form) and the small pieces every page uses.
import { html, type Html } from './html.js';
import { statusTone } from './format.js';

/** Who is looking, and the CSRF token their forms carry. */
export interface View {
  user: string; csrf: string; now: number;
  /** What the viewer may do on the page's app or pipeline (absent: a page of no one app or pipeline). */
  may?: (action: import('../core/access-policy.js').Action) => boolean;
}

/** Whether the page offers a control needing `action` (the access guard decides the request itself). */
export const offers = (v: View, action: import('../core/access-policy.js').Action): boolean => v.may?.(action) ?? true;

export interface PageOptions { crumbs?: Array<[string, string | null]>; poll?: string; wide?: boolean }

export function page(v: View, title: string, body: Html, o: PageOptions = {}): string {
  const crumbs = o.crumbs ?? [];
  return '<!doctype html>\n' + html`<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · Slipway</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head><body>
<header class="top"><a class="brand" href="/pipelines"><span class="mark" aria-hidden="true"></span>Slipway</a>
<nav class="crumbs">${crumbs.map(([label, href]) => (href ? html`<span>/</span><a href="${href}">${label}</a>` : html`<span>/</span><b>${label}</b>`))}</nav>
<span class="who">${v.user}</span>
<form method="post" action="/logout" class="inline">${csrfField(v)}<button class="link" type="submit">Sign out</button></form>
</header>
<main${o.poll ? html` data-poll="${o.poll}"` : ''}>${body}</main>
</body></html>`.value;
}

export const csrfField = (v: View): Html => html`<input type="hidden" name="_csrf" value="${v.csrf}">`;

export const badge = (status: string, label?: string): Html => html`<span class="badge ${statusTone(status)}" data-status="${status}">${label ?? status}</span>`;

/** A time that the page keeps saying as "5m ago"; the server's text is the fallback. */
export const ago = (iso: string | null): Html => (iso ? html`<time datetime="${iso}" data-age>${iso.slice(0, 16).replace('T', ' ')}</time>` : html``);

/** A tab bar of links; the current one is marked. */
export const tabs = (items: Array<[string, string]>, current: string): Html =>
  html`<nav class="tabs">${items.map(([label, href]) => html`<a href="${href}"${label === current ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>`;

export const enc = encodeURIComponent;
