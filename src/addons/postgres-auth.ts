// Who may log in to an add-on Postgres: the add-on's own role with its password (SCRAM), never the
// superuser, never without a password (a tenant that reaches the port or the socket gets nothing).
import { scramVerifier, type PostgresCredentials } from './credentials.js';

/** pg_hba.conf of every add-on cluster (replication matches no line, so it is refused too). */
export const ADDON_PG_HBA = [
  '# Written by Slipway: passwords (SCRAM) only, and the superuser cannot log in at all.',
  'local all postgres reject',
  'host all postgres all reject',
  'local all all scram-sha-256',
  'host all all all scram-sha-256',
  '',
].join('\n');

const ident = (name: string): string => {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`not a generated Postgres name: ${name}`);
  return `"${name}"`;
};

/**
 * The role (a plain login role: no superuser, no CREATEDB/CREATEROLE) owning its database, which
 * no other role may connect to. One statement per element; the password goes only as a verifier.
 */
export function roleAndDatabaseSql(c: PostgresCredentials): string[] {
  return [
    `CREATE ROLE ${ident(c.user)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '${scramVerifier(c.password)}'`,
    `CREATE DATABASE ${ident(c.database)} OWNER ${ident(c.user)}`,
    `REVOKE ALL ON DATABASE ${ident(c.database)} FROM PUBLIC`,
  ];
}

/** What makes a fresh copy of the template cluster an add-on: the superuser without a password, then the app's role and database. */
export function clusterSetupSql(c: PostgresCredentials): string[] {
  return ['ALTER ROLE postgres PASSWORD NULL', ...roleAndDatabaseSql(c)];
}

/** Dropping a server-mode add-on: the database, then the role that owned it. */
export function dropSql(database: string, owner: string | undefined): string[] {
  return [`DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`, ...(owner ? [`DROP ROLE IF EXISTS ${ident(owner)}`] : [])];
}
