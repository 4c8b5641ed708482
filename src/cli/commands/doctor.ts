import type { Command } from 'commander';
import { serverEnv } from '../context.js';
import { CliError, EXIT } from '../errors.js';

/** `slipway doctor`: the server's start-up checks, printed without starting; exit 1 when it would refuse to start. */
export function registerDoctor(program: Command): void {
  program.command('doctor').description('check this host for what `slipway server` needs (same configuration), without starting it')
    .option('--data-dir <dir>', 'data folder (SLIPWAY_DATA_DIR)')
    .action(async (o: { dataDir?: string }) => {
      const [{ loadConfig }, { runChecks, formatChecks }, { hostFacts }] = await Promise.all([
        import('../../config.js'), import('../../doctor/checks.js'), import('../../doctor/host-facts.js'),
      ]);
      let config;
      try { config = loadConfig({ ...serverEnv(), ...(o.dataDir ? { SLIPWAY_DATA_DIR: o.dataDir } : {}) }); } catch (e) { throw new CliError((e as Error).message); }
      const checks = runChecks(config, hostFacts(config));
      console.log(formatChecks(checks));
      const fatal = checks.filter((c) => c.severity === 'fatal').length;
      const warnings = checks.filter((c) => c.severity === 'warning').length;
      if (fatal) throw new CliError(`${fatal} problem${fatal > 1 ? 's' : ''} to fix before slipway server can start${warnings ? ` (and ${warnings} warning${warnings > 1 ? 's' : ''})` : ''}`, EXIT.failed);
      console.log(warnings ? `\nslipway server can start; ${warnings} warning${warnings > 1 ? 's' : ''} above.` : '\nAll good: slipway server can start.');
    });
}
