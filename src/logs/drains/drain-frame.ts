// Heroku's drain framing: each app log line as a syslog message (RFC 5424 header, no structured
// data, as logplex writes it) with octet counting (RFC 6587), e.g.
// `83 <190>1 2026-11-29T12:00:00.000Z d.0123… app web.1 - listening on 5000\n` — like logplex, each
// message ends in a newline that its length counts, so receivers that split on lines work too.
// Over HTTPS a batch of such frames is the body of one POST with logplex's headers.

/** Syslog priority: local7.info for the app's own lines, local3.info for the platform's (logplex uses both). */
const PRI = { app: 190, heroku: 158 } as const;

/** One app log line (`timestamp source[dyno]: message`) as an octet-counted syslog frame; undefined for a line of another shape. */
export function syslogFrame(line: string, token: string): string | undefined {
  const m = /^(\S+) ([^\s[:]+)(?:\[([^\]\s]+)\])?: ?(.*)$/.exec(line);
  if (!m) return undefined;
  const [, at, source, dyno, message] = m;
  const pri = source === 'app' ? PRI.app : PRI.heroku;
  const msg = `<${pri}>1 ${at} ${token} ${source} ${dyno ?? '-'} - ${message}\n`;
  return `${Buffer.byteLength(msg)} ${msg}`;
}

/** The headers of an HTTPS drain POST carrying `count` frames (logplex's names, so receivers written for Heroku work). */
export function httpDrainHeaders(token: string, count: number, frameId: string): Record<string, string> {
  return {
    'content-type': 'application/logplex-1', 'logplex-msg-count': String(count), 'logplex-frame-id': frameId,
    'logplex-drain-token': token, 'user-agent': 'Logplex/v72 (Slipway)',
  };
}

/** Logplex's message (from `heroku[logplex]`) for lines it dropped: a drain's buffer, or an agent's that dynos outran. */
export const overflowMessage = (dropped: number, since: string): string => `Error L10 (output buffer overflow): ${dropped} messages dropped since ${since}.`;

/** The line logplex writes when a drain's buffer overflowed. */
export const overflowLine = (dropped: number, since: string, now = new Date().toISOString()): string => `${now} heroku[logplex]: ${overflowMessage(dropped, since)}`;
