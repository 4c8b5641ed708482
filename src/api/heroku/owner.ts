// An app's `owner` and `team` as the heroku CLI reads them: a team app's owner email is
// `<team>@herokumanager.com` (how `heroku access` tells team apps from personal ones).
import { BOOTSTRAP_ADMIN_EMAIL } from '../../store/users.js';

/** `owner` and `team` fields of an app in Heroku's shape, from its team and owner rows (a list of apps reads them all at once). */
export function herokuOwnerOf(a: { owner_user_id?: string | null; team_id?: string | null }, team: { id: string; name: string } | undefined, user: { id: string; email: string } | undefined) {
  if (a.team_id && team) return { owner: { id: team.id, email: `${team.name}@herokumanager.com` }, team: { id: team.id, name: team.name } };
  // Apps made before accounts belong to the admins.
  return { owner: (a.owner_user_id && user) ? user : { id: null, email: BOOTSTRAP_ADMIN_EMAIL }, team: null };
}
