// The thread a router process follows nginx's access log on and sends its lines to the server from
// (nginx-log-thread.ts starts it), at a lower CPU priority than the rest of the host
// (core/thread-priority.ts): under load, reading and sending tens of thousands of lines a second
// runs after nginx and the dynos, not in their way.
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThread } from '../core/thread-priority.js';
import { AccessLogTail } from '../runtime/nginx/access-log-tail.js';
import { splitAccessChunk } from '../runtime/nginx/nginx-log.js';
import { LogShipper } from './log-shipper.js';
import { logBatchSender } from './post-to.js';
import type { NginxLogThreadData, NginxLogToThread } from './nginx-log-thread.js';

lowerThisThread();
const d = workerData as NginxLogThreadData;
const port = parentPort!;
/** upstream "host:port" → dyno name; kept after a dyno leaves so its last requests are named. */
const names = new Map<string, string>();
const logs = new LogShipper({ maxLines: d.maxLines, send: logBatchSender(d.server, d.token) });
const tail = new AccessLogTail(d.file, (chunk) => splitAccessChunk(chunk, (addr) => names.get(addr), (data, lines) => logs.pushWire(data, lines), (appId, line, msec) => logs.push(appId, line, msec)), () => port.postMessage({ type: 'reopen' }));
tail.start();
port.postMessage({ type: 'ready' });
port.on('message', (m: NginxLogToThread) => {
  if (m.type === 'names') { for (const [addr, name] of m.names) names.set(addr, name); return; }
  tail.stop();
  void (m.flush ? logs.flush().catch(() => {}) : Promise.resolve()).then(() => {
    logs.close();
    port.postMessage({ type: 'stopped' });
  });
});
