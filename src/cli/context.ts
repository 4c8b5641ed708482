// Where the CLI finds its server and token: flags, then SLIPWAY_URL / SLIPWAY_TOKEN, then `slipway login`'s file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CliCredentials { url: string; token?: string }

const configDir = (): string => process.env['SLIPWAY_CONFIG_DIR'] ?? path.join(process.env['XDG_CONFIG_HOME'] ?? path.join(os.homedir(), '.config'), 'slipway');
export const credentialsFile = (): string => path.join(configDir(), 'credentials.json');

export function loadCredentials(): CliCredentials {
  let stored: Partial<CliCredentials> = {};
  try { stored = JSON.parse(fs.readFileSync(credentialsFile(), 'utf8')) as Partial<CliCredentials>; } catch { /* not logged in */ }
  return {
    // An empty variable counts as unset.
    url: (process.env['SLIPWAY_URL'] || stored.url || `http://127.0.0.1:${process.env['PORT'] || 5000}`).replace(/\/$/, ''),
    token: process.env['SLIPWAY_TOKEN'] || stored.token,
  };
}

export function saveCredentials(c: CliCredentials): void {
  fs.mkdirSync(configDir(), { recursive: true, mode: 0o700 });
  fs.writeFileSync(credentialsFile(), JSON.stringify(c, null, 2) + '\n', { mode: 0o600 });
}

/** The server's own configuration comes from the environment too; the CLI hands it over untouched. */
export const serverEnv = (): Record<string, string | undefined> => process.env;
