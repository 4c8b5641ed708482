// Run a real program to completion and keep what it printed: stdout, stderr, and both interleaved.
import { spawn } from 'node:child_process';

export interface CommandResult { code: number; stdout: string; stderr: string; output: string }

export function runCommand(cmd: string, args: string[], opts: { cwd?: string; env: Record<string, string>; timeoutMs: number; onOutput?: (all: string) => void }): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    p.stdout.on('data', (c) => { stdout += c; output += c; opts.onOutput?.(output); });
    p.stderr.on('data', (c) => { stderr += c; output += c; opts.onOutput?.(output); });
    const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`${cmd} ${args.join(' ')} timed out\n${output}`)); }, opts.timeoutMs);
    p.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? -1, stdout, stderr, output }); });
  });
}
