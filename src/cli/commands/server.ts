import type { Command } from 'commander';
import { serverEnv } from '../context.js';
import { CliError, EXIT } from '../errors.js';

// When the server drops its start-up garbage (SLIPWAY_SERVER_HEAP=small): after the start-up burst, before an operator looks.
const STARTUP_SETTLED_MS = 15_000;

export function registerServer(program: Command): void {
  program.command('server').description('run the Slipway server (API, runner) on embedded defaults unless configured')
    .option('--port <port>', 'API port (PORT)')
    .option('--data-dir <dir>', 'data folder (SLIPWAY_DATA_DIR)')
    .option('--leave-companions', 'on SIGTERM/SIGINT, leave the router process running for the next start to adopt (SLIPWAY_LEAVE_COMPANIONS=on)')
    .action(async (o: { port?: string; dataDir?: string; leaveCompanions?: boolean }) => {
      // Loaded here, not at the top: every other command would otherwise pay for the server's modules.
      const [{ loadConfig }, heap] = await Promise.all([import('../../config.js'), import('../../server-heap.js')]);
      const env = { ...serverEnv(), ...(o.port ? { PORT: o.port } : {}), ...(o.dataDir ? { SLIPWAY_DATA_DIR: o.dataDir } : {}), ...(o.leaveCompanions ? { SLIPWAY_LEAVE_COMPANIONS: 'on' } : {}) };
      let config;
      try { config = loadConfig(env); } catch (e) { throw new CliError((e as Error).message); }
      // Before the server's modules load: their loading is most of the start-up's garbage.
      if (config.serverHeap === 'small') heap.favourSmallHeap();
      const { startServer, StartupError } = await import('../../server.js');
      let server;
      try { server = await startServer(config); } catch (e) { throw e instanceof StartupError ? new CliError(e.message, EXIT.failed) : e; }
      const { ctx } = server;
      // The start-up burst (companions, the agent's registration, first refreshes) is over well within this.
      if (config.serverHeap === 'small') setTimeout(() => console.log(`heap: start-up garbage dropped in ${heap.collectStartupGarbage().toFixed(0)} ms`), STARTUP_SETTLED_MS).unref();
      console.log(`Slipway listening on ${server.url} (data in ${config.dataDir}, ${ctx.store.dialect} store, sandbox: ${ctx.sandbox.mode}, runner slots: ${config.runnerConcurrency})`);
      if (server.adminToken) {
        console.log(`\nAdmin API token (shown once, stored only as a hash):\n\n    ${server.adminToken}\n\nLog the CLI in with:  slipway login --url ${server.url} --token ${server.adminToken}\n`);
      }
      const stop = async (sig: string) => {
        console.log(`${sig}: stopping (running test nodes are cancelled and cleaned up)…`);
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}
