// An app's `owner` and `team` as the heroku CLI reads them: a team app's owner email is
// `<team>@herokumanager.com` (how `heroku access` tells team apps from personal ones).
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { BOOTSTRAP_ADMIN_EMAIL } from '../../store/users.js';

/** `owner` and `team` fields of an app in Heroku's shape. */
export async function herokuOwner(db: Kysely<Database>, a: { owner_user_id?: string | null; team_id?: string | null }) {
  const team = a.team_id ? await db.selectFrom('teams').select(['id', 'name']).where('id', '=', a.team_id).executeTakeFirst() : undefined;
  if (team) return { owner: { id: team.id, email: `${team.name}@herokumanager.com` }, team: { id: team.id, name: team.name } };
  const user = a.owner_user_id ? await db.selectFrom('users').select(['id', 'email']).where('id', '=', a.owner_user_id).executeTakeFirst() : undefined;
  // Apps made before accounts belong to the admins.
  return { owner: user ?? { id: null, email: BOOTSTRAP_ADMIN_EMAIL }, team: null };
}
