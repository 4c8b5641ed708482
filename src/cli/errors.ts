// CLI exit codes: 0 success, 1 the thing ran and failed, 2 usage or input error, 3 unreachable or refused.
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export class CliError extends Error {
  constructor(message: string, readonly code: number = EXIT.usage) { super(message); }
}
