// Whether an add-on's server still takes connections at its URL. A server whose network went with it
// never answers (no refusal comes from an address nobody holds), so silence for `ms` counts as closed
// rather than waiting out the kernel's connect timeout (a minute or two).
import net from 'node:net';

/** True when a TCP connection to the URL's host and port is accepted within `ms`. */
export const portOpen = (url: string, ms = 3000): Promise<boolean> => new Promise<boolean>((resolve) => {
  const u = new URL(url.replace(/^(redis|postgres):/, 'http:'));
  const sock = net.connect(Number(u.port), u.hostname.replace(/^\[|\]$/g, ''), () => { sock.destroy(); resolve(true); });
  sock.setTimeout(ms, () => { sock.destroy(); resolve(false); });
  sock.on('error', () => resolve(false));
});
