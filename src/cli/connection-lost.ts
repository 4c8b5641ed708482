// The server going away mid-request (refused, reset, closed during a stream) is an expected event
// for a CLI, not a bug: one line saying what happened and what to do, and exit code 3.
import { CliError, EXIT } from './errors.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_ABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The innermost reason of a network failure (fetch wraps it in `cause`), or undefined when `e` is not one. */
export function networkReason(e: unknown): string | undefined {
  for (let c = e as (Error & { code?: string; cause?: unknown }) | undefined, depth = 0; c && depth < 5; c = c.cause as typeof c, depth++) {
    if (c.code && NETWORK_CODES.has(c.code)) return !c.message ? c.code : c.message.includes(c.code) ? c.message : `${c.code}: ${c.message}`;
    if (c instanceof TypeError && (c.message === 'fetch failed' || c.message === 'terminated') && !c.cause) return c.message === 'terminated' ? 'the connection was closed' : c.message;
    if (c.message === 'other side closed' || c.message === 'socket hang up') return c.message;
  }
  return undefined;
}

/** The CLI error for a server that went away while `doing` (e.g. "following the build output"). */
export function connectionLost(url: string, doing: string, e: unknown): CliError {
  return new CliError(`Lost the connection to the Slipway server at ${url} while ${doing} (${networkReason(e) ?? (e as Error).message}). Check that the server is running (\`slipway server\`); what it was doing may have gone on there.`, EXIT.unreachable);
}
