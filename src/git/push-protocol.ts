// Between the server and its pre-receive hook: the last line of the server's answer says whether
// the push is accepted.
export const PUSH_RESULT_MARKER = '\u0000slipway-push-result ';
export const pushResultLine = (ok: boolean): string => `${PUSH_RESULT_MARKER}${ok ? 'ok' : 'rejected'}\n`;
