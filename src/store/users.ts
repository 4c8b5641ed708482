// Users: an email, a scrypt password hash (optional: a user may sign in with tokens only) and
// whether they are a Slipway admin (every app, pipeline, team and user).
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { newId } from '../core/ids.js';
import { now } from './db.js';

export interface User { id: string; email: string; admin: boolean; created_at: string }

/** The account the first admin credential belongs to (tokens made before accounts existed join it too). */
export const BOOTSTRAP_ADMIN_EMAIL = 'admin@slipway.local';

const COLUMNS = ['id', 'email', 'admin', 'created_at'] as const;
const shape = (r: { id: string; email: string; admin: number; created_at: string }): User => ({ ...r, admin: r.admin === 1 });

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** A new user; undefined if the email is taken. */
export async function createUser(db: Kysely<Database>, email: string, passwordHash: string | null, admin: boolean): Promise<User | undefined> {
  const r = await db.insertInto('users').values({ id: newId(), email: normalizeEmail(email), password_hash: passwordHash, admin: admin ? 1 : 0, created_at: now() })
    .onConflict((oc) => oc.column('email').doNothing()).returning(COLUMNS).executeTakeFirst();
  return r ? shape(r) : undefined;
}

export async function listUsers(db: Kysely<Database>): Promise<User[]> {
  return (await db.selectFrom('users').select(COLUMNS).orderBy('email').execute()).map(shape);
}

export async function userById(db: Kysely<Database>, id: string): Promise<User | undefined> {
  const r = await db.selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return r ? shape(r) : undefined;
}

/** A user by email or id (the heroku CLI sends either). */
export async function findUser(db: Kysely<Database>, emailOrId: string): Promise<User | undefined> {
  const r = await db.selectFrom('users').select(COLUMNS).where((eb) => eb.or([eb('email', '=', normalizeEmail(emailOrId)), eb('id', '=', emailOrId)])).executeTakeFirst();
  return r ? shape(r) : undefined;
}

/** The user and their password hash, for sign-in. */
export async function userForSignIn(db: Kysely<Database>, email: string) {
  return db.selectFrom('users').select(['id', 'email', 'password_hash']).where('email', '=', normalizeEmail(email)).executeTakeFirst();
}

/** Delete a user with their tokens, memberships and collaborations; apps they own go to admins only. */
export async function destroyUser(db: Kysely<Database>, id: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    await tx.deleteFrom('tokens').where('user_id', '=', id).execute();
    await tx.deleteFrom('team_members').where('user_id', '=', id).execute();
    await tx.deleteFrom('app_collaborators').where('user_id', '=', id).execute();
    await tx.updateTable('apps').set({ owner_user_id: null }).where('owner_user_id', '=', id).execute();
    await tx.updateTable('pipelines').set({ owner_user_id: null }).where('owner_user_id', '=', id).execute();
    const r = await tx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  });
}

/** The bootstrap admin account, made once; tokens without an owner (made before accounts) join it. */
export async function ensureBootstrapAdmin(db: Kysely<Database>): Promise<User> {
  await createUser(db, BOOTSTRAP_ADMIN_EMAIL, null, true);
  const admin = shape(await db.selectFrom('users').select(COLUMNS).where('email', '=', BOOTSTRAP_ADMIN_EMAIL).executeTakeFirstOrThrow());
  await db.updateTable('tokens').set({ user_id: admin.id }).where('user_id', 'is', null).execute();
  return admin;
}
