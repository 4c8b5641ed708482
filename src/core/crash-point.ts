// Tests only (SLIPWAY_TEST_CRASH_AFTER): the server dies at a named point, as a power cut or the
// OOM killer would end it, so crash tests can stop it exactly between a change and what follows it.
import type { Config } from '../config.js';

/** SIGKILL this process when the configured point is `point` (or `point:app`); a no-op otherwise. */
export function crashPoint(config: Pick<Config, 'testCrashAfter'>, point: string, app?: string): void {
  const at = config.testCrashAfter;
  if (at && (at === point || (app !== undefined && at === `${point}:${app}`))) process.kill(process.pid, 'SIGKILL');
}
