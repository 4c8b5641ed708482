// The ports an agent offers the router, one per dyno: a TCP relay from the agent's address to the
// dyno on its default network. Only the router's addresses may connect (any other peer is closed
// before a byte reaches the dyno), and the relay knows which connections carry a request the dyno
// has not answered yet, so a draining dyno is stopped only once those are done.
import net from 'node:net';

interface Conn { fromClient: number; fromDyno: number; socket: net.Socket }
interface Port { server: net.Server; port: number; conns: Set<Conn> }

/** A response still streaming counts as in flight until the dyno has been quiet this long. */
const QUIET_MS = 300;

const plain = (a: string | undefined) => (a ?? '').replace(/^::ffff:/, '');

export class DynoForwarder {
  private ports = new Map<string, Port>();
  private opening = new Map<string, Promise<number>>();

  /** `allowed`: the peers that may connect (the router's addresses). */
  constructor(private allowed: ReadonlySet<string>, private log: (line: string) => void) {}

  /** The agent's port for this dyno (opened on first use, on every address of the host). */
  expose(d: { id: string; host: string; port: number }): Promise<number> {
    const open = this.ports.get(d.id);
    if (open?.server.listening) return Promise.resolve(open.port);
    const pending = this.opening.get(d.id) ?? this.open(d).finally(() => this.opening.delete(d.id));
    this.opening.set(d.id, pending);
    return pending;
  }

  /** Connections to this dyno with a request not fully answered. */
  inFlight(id: string): number {
    const now = Date.now();
    return [...this.ports.get(id)?.conns ?? []].filter((c) => c.fromClient > c.fromDyno || now - c.fromDyno < QUIET_MS).length;
  }

  /** Stop listening for dynos not in `ids`; their open connections finish (the dyno's stop ends them). */
  retain(ids: ReadonlySet<string>): void {
    for (const [id, p] of this.ports) {
      if (ids.has(id)) continue;
      p.server.close();
      if (!p.conns.size) this.ports.delete(id);
    }
  }

  closeAll(): void {
    for (const p of this.ports.values()) { p.server.close(); for (const c of p.conns) c.socket.destroy(); }
    this.ports.clear();
  }

  private async open(d: { id: string; host: string; port: number }): Promise<number> {
    const conns = new Set<Conn>();
    const server = net.createServer((client) => {
      if (!this.allowed.has(plain(client.remoteAddress))) {
        this.log(`refused a connection to dyno ${d.id} from ${plain(client.remoteAddress)} (only the router may connect: SLIPWAY_AGENT_ROUTER_FROM)`);
        client.destroy();
        return;
      }
      const c: Conn = { fromClient: 0, fromDyno: 0, socket: client };
      conns.add(c);
      const upstream = net.connect(d.port, d.host);
      client.on('data', () => { c.fromClient = Date.now(); });
      upstream.on('data', () => { c.fromDyno = Date.now(); });
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        conns.delete(c);
        const p = this.ports.get(d.id);
        if (p && !p.server.listening && !p.conns.size) this.ports.delete(d.id);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '0.0.0.0', () => resolve()); });
    const port = (server.address() as net.AddressInfo).port;
    this.ports.set(d.id, { server, port, conns });
    return port;
  }
}
