// Names a tenant chooses (config var keys, process types, app.json env keys) end up as keys of
// plain objects all over the server: `__proto__` would replace an object's prototype, `constructor`
// or `toString` would shadow what the code calls, and a NUL byte cannot be passed to a process at
// all. Such names are refused where they come in, with a message that says which and why.

const BUILT_IN = new Set(['__proto__', ...Object.getOwnPropertyNames(Object.prototype)]);

/** Why `key` cannot name a `what` (e.g. "config var"), or null when it can. */
export function keyProblem(what: string, key: string): string | null {
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\x00-\x1f\x7f]/.test(key)) return `${what} name ${JSON.stringify(key.slice(0, 80))} contains a NUL byte or another control character`;
  if (BUILT_IN.has(key)) return `${what} name "${key}" is reserved (a built-in property of JavaScript objects); choose another name`;
  return null;
}

/** Why `value` cannot be the value of config var `key` (a NUL byte ends a C string: no process could get it), or null. */
export function valueProblem(key: string, value: string): string | null {
  return value.includes('\0') ? `the value of config var ${JSON.stringify(key.slice(0, 80))} contains a NUL byte, which no process environment can hold` : null;
}

/** The first problem among a config patch's keys and values, or null. */
export function configPatchProblem(patch: Record<string, unknown>): string | null {
  for (const [k, v] of Object.entries(patch)) {
    const p = keyProblem('config var', k) ?? (typeof v === 'string' ? valueProblem(k, v) : null);
    if (p) return p;
  }
  return null;
}
