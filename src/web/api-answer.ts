// A dashboard form's API answer: 2xx goes on; anything else becomes the page's error, with the
// API's own error id and message (so a form says exactly what the CLI would).
import { ERRORS, SlipwayError, type ErrorId } from '../core/errors.js';
import type { ApiAnswer } from '../api/internal-call.js';

export function answerOrFail(r: ApiAnswer): void {
  if (r.status < 300) return;
  const id = r.body.id && Object.hasOwn(ERRORS, r.body.id) ? r.body.id as ErrorId : r.status >= 500 ? 'internal_error' : 'invalid_params';
  throw new SlipwayError(id, r.body.message ?? `HTTP ${r.status}`);
}
