// Numbered migrations, applied in order, each once (Kysely's migrator records them).
import type { Migration, MigrationProvider } from 'kysely';
import * as m001 from './001-initial.js';
import * as m002 from './002-test-run-addons.js';
import * as m003 from './003-flaky-test-cases.js';
import * as m004 from './004-apps.js';
import * as m005 from './005-pipelines-flow.js';
import * as m006 from './006-app-addons.js';
import * as m008 from './008-spaces.js';
import * as m009 from './009-review-stale-days.js';
import * as m010 from './010-release-users.js';
import * as m011 from './011-tenant-ids.js';
import * as m012 from './012-formation-sizes.js';
import * as m014 from './014-sign-in-failures.js';
import * as m018 from './018-dyno-state.js';
import * as m022 from './022-hosts-hooks-domains.js';
import * as m019 from './019-blobs-and-leases.js';
import * as m020 from './020-heroku-habits.js';
import * as m017 from './017-agents.js';
import * as m028 from './028-app-metrics.js';
import * as m024 from './024-accounts.js';
import * as m025 from './025-secrets-audit.js';
import * as m027 from './027-routers.js';
import * as m030 from './030-one-off-dynos.js';
import * as m032 from './032-addon-hosts.js';
import * as m033 from './033-app-repo-size.js';
import * as m034 from './034-no-server-only-agent.js';
import * as m035 from './035-one-off-counters.js';
import * as m036 from './036-test-runs-by-time.js';
import * as m038 from './038-space-fabric.js';
import * as m039 from './039-shared-logs.js';
import * as m041 from './041-once-per-edge.js';
import * as m042 from './042-addon-server-status.js';

const MIGRATIONS: Record<string, Migration> = {
  '001-initial': m001,
  '002-test-run-addons': m002,
  '003-flaky-test-cases': m003,
  '004-apps': m004,
  '005-pipelines-flow': m005,
  '006-app-addons': m006,
  '008-spaces': m008,
  '009-review-stale-days': m009,
  '010-release-users': m010,
  '011-tenant-ids': m011,
  '012-formation-sizes': m012,
  '014-sign-in-failures': m014,
  '018-dyno-state': m018,
  '022-hosts-hooks-domains': m022,
  '019-blobs-and-leases': m019,
  '020-heroku-habits': m020,
  '017-agents': m017,
  '028-app-metrics': m028,
  '024-accounts': m024,
  '025-secrets-audit': m025,
  '027-routers': m027,
  '030-one-off-dynos': m030,
  '032-addon-hosts': m032,
  '033-app-repo-size': m033,
  '034-no-server-only-agent': m034,
  '035-one-off-counters': m035,
  '036-test-runs-by-time': m036,
  '038-space-fabric': m038,
  '039-shared-logs': m039,
  '041-once-per-edge': m041,
  '042-addon-server-status': m042,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
