// Server-sent events framing for log sessions (the heroku CLI reads logplex_url with EventSource).

/** One SSE event carrying `text`'s lines; empty text is a comment, which keeps the stream open. */
export function sseEvent(text: string): string {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length === 0) return ': no lines\n\n';
  return lines.map((l) => `data: ${l.replace(/\r/g, '')}\n`).join('') + '\n';
}
