// Where sign-in may send the browser afterwards (`next=`): a path on this server only. Browsers
// drop tabs and newlines from URLs and read `\` as `/`, so `/\tevil`, `/\evil` and `//evil` all lead
// off-site; a raw CR/LF would split the Location header. Anything but printable ASCII is refused.

const FALLBACK = '/pipelines';

/** `next` if it is a same-origin absolute path (not the sign-in page itself), else the pipelines page. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2048) return FALLBACK;
  if (!/^\/[\x21-\x7e]*$/.test(next) || next.includes('\\')) return FALLBACK;
  if (next.startsWith('//') || next.startsWith('/login')) return FALLBACK;
  // Percent-encoded slashes, backslashes and control characters are decoded by some servers and
  // proxies on the way back in: refuse those too rather than reason about who decodes what.
  if (/%(2f|5c|0[0-9a-f]|1[0-9a-f]|7f)/i.test(next)) return FALLBACK;
  return next;
}
