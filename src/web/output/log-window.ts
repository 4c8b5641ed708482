// A window of a (possibly huge) log: the tail when a page opens, earlier pages on demand, each cut at
// line starts so no line and no escape sequence is split. Only the window is read from disk.
import type { LogBook } from '../../logs/log-book.js';
import { ansiToHtml } from './ansi.js';

/** How much of a log a page shows at first and loads per "earlier" click. */
export const WINDOW_BYTES = 256 * 1024;

export interface LogWindow { start: number; end: number; html: string }

/** Bytes [start, end) where start ≤ end - window is moved forward to a line start; HTML of them. */
export function logWindow(logs: LogBook, key: string, before?: number, windowBytes = WINDOW_BYTES): LogWindow {
  const size = logs.size(key);
  const end = Math.max(0, Math.min(before ?? size, size));
  let start = Math.max(0, end - windowBytes);
  let buf = logs.readRange(key, start, end);
  if (start > 0) {
    const nl = buf.indexOf(10);
    if (nl >= 0 && nl < buf.length - 1) { buf = buf.subarray(nl + 1); start += nl + 1; }
  }
  return { start, end, html: ansiToHtml(buf.toString('utf8')) };
}
