/** Quote a string for bash. */
export const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Source each file if it exists (buildpack `export` files, `.profile.d` scripts). */
export const sourceFiles = (files: string[]): string =>
  files.map((f) => `if [ -f ${q(f)} ]; then . ${q(f)}; fi`).join('\n');

export const sourceProfileD = (app: string): string =>
  `for __f in ${q(app)}/.profile.d/*.sh; do if [ -r "$__f" ]; then . "$__f"; fi; done; unset __f`;
