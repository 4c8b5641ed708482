// One Redis command over a raw socket (no client library), authenticated with the URL's user and
// password unless told not to, the way a client given REDIS_URL would be.
import net from 'node:net';

const encode = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** The raw reply to `args` (after the AUTH reply, when the URL carries a password and `auth` is left on). */
export function redisCommand(url: string, args: string[], opts: { auth?: boolean } = {}): Promise<string> {
  const u = new URL(url);
  const auth = opts.auth !== false && u.password ? [encode(['AUTH', decodeURIComponent(u.username || 'default'), decodeURIComponent(u.password)])] : [];
  const queue = [...auth, encode(args)];
  return new Promise((resolve, reject) => {
    const c = net.connect(Number(u.port), u.hostname.replace(/^\[|\]$/g, ''), () => c.write(queue.shift()!));
    c.setTimeout(10_000, () => { c.destroy(); reject(new Error(`no reply from ${u.host}`)); });
    c.on('data', (d) => {
      if (queue.length) { c.write(queue.shift()!); return; }
      c.destroy();
      resolve(d.toString());
    });
    c.on('error', reject);
  });
}
