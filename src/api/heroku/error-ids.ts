// Heroku clients (the official CLI) branch on Heroku's error ids, so requests that ask for
// `application/vnd.heroku+json` get Heroku's generic id where Slipway's registry is more specific.
import type { ErrorId } from '../../core/errors.js';

// Targets are ids of the same registry, so every id a client can see is documented in docs/errors.md.
const HEROKU_IDS: Partial<Record<ErrorId, ErrorId>> = {
  pipeline_not_found: 'not_found', test_run_not_found: 'not_found', test_node_not_found: 'not_found',
  app_not_found: 'not_found', build_not_found: 'not_found', release_not_found: 'not_found', source_not_found: 'not_found', space_not_found: 'not_found',
  name_taken: 'conflict', invalid_state: 'invalid_params',
};

/** True when the client asked for Heroku's media type (any `version=3` variant). */
export const wantsHeroku = (accept: string | undefined): boolean => /application\/vnd\.heroku\+json/i.test(accept ?? '');

/** The error id a client sees: Heroku's for Heroku clients, Slipway's own otherwise. */
export function publicErrorId(id: string, accept: string | undefined): string {
  return wantsHeroku(accept) ? HEROKU_IDS[id as ErrorId] ?? id : id;
}
