// The pre-receive hook of every app repository, run by `git receive-pack` for each push, and the
// server's side of it. The hook is a bash script that starts no program: it hands the pushed refs and
// the name of git's quarantine folder (where the push's objects wait until the hook accepts them) to
// the server that runs this receive-pack, over HTTP/1.0 on bash's /dev/tcp, prints what the server
// streams back (the user sees `remote:` lines), and accepts the push only when the server's last
// line, marked with this push's token, says ok. It replaced a Node.js program: one start of Node.js
// was a tenth of a second of every push, and several tenths on a loaded host. The server reads the
// commit itself from the quarantine (its message, its tree's size, `git archive`).
import fs from 'node:fs';
import path from 'node:path';
import { HOST_ENV } from '../sandbox/host-tools.js';

/** The last line of the server's answer: the push's own token, so no build output can forge it. */
export const pushResultLine = (token: string, ok: boolean): string => `slipway-push-result ${token} ${ok ? 'ok' : 'rejected'}\n`;

export const PRE_RECEIVE_HOOK = `#!/bin/bash
# Slipway's pre-receive hook (written by the Slipway server; see src/git/pre-receive-hook.ts).
if [ -z "\${SLIPWAY_PUSH_CALLBACK:-}" ] || [ -z "\${SLIPWAY_PUSH_TOKEN:-}" ]; then
  echo '!     This repository only takes pushes through the Slipway server.'
  exit 1
fi
export LC_ALL=C
IFS= read -r -d '' refs
rest=\${SLIPWAY_PUSH_CALLBACK#http://}
hostport=\${rest%%/*}
if ! exec 3<>"/dev/tcp/\${hostport%:*}/\${hostport##*:}"; then
  echo "!     Could not reach the Slipway server at $hostport; try the push again."
  exit 1
fi
printf 'POST /%s HTTP/1.0\\r\\nHost: %s\\r\\nAuthorization: Bearer %s\\r\\nX-Slipway-Quarantine: %s\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\n\\r\\n%s' \\
  "\${rest#*/}" "$hostport" "$SLIPWAY_PUSH_TOKEN" "\${GIT_QUARANTINE_PATH##*/}" "\${#refs}" "$refs" >&3
IFS=' ' read -r _ status _ <&3
while IFS= read -r line <&3 && [ -n "\${line%$'\\r'}" ]; do :; done
result=
while IFS= read -r line <&3 || [ -n "$line" ]; do
  case "$line" in
    "slipway-push-result $SLIPWAY_PUSH_TOKEN "*) result=\${line##* } ;;
    *) if [ "$status" = 200 ]; then printf '%s\\n' "$line"; else printf '!     Push rejected: HTTP %s %s\\n' "$status" "$line"; fi ;;
  esac
done
[ "$status" = 200 ] && [ "$result" = ok ]
`;

export interface PushedRef { old: string; sha: string; ref: string }

/**
 * The hook's input, as git gives it: one "<old> <new> <ref>" line per updated ref. Only lines of
 * that shape are taken (the new sha reaches git's command lines: it can never be an option).
 */
export function parsePushedRefs(text: string): PushedRef[] {
  return text.split('\n').map((l) => /^([0-9a-f]{40,64}) ([0-9a-f]{40,64}) (refs\/\S+)$/.exec(l)).filter((m) => m !== null).map(([, old, sha, ref]) => ({ old: old!, sha: sha!, ref: ref! }));
}

/** What the server prints for a ref it does not deploy; null for a branch it does. */
export function skippedRef(r: PushedRef): string | null {
  if (/^0+$/.test(r.sha)) return ''; // deleting a ref is fine
  if (!r.ref.startsWith('refs/heads/')) return `       Ignoring ${r.ref}: Slipway deploys branches.\n`;
  return null;
}

/**
 * The environment git commands need to see a push's objects before receive-pack accepts them: the
 * quarantine folder (named by the hook, checked to be one of git's own in this repository) and the
 * repository's objects. Without a name (a git that does not quarantine), the repository itself.
 */
export function quarantineEnv(repo: string, name: string): Record<string, string> | { error: string } {
  const env = { ...HOST_ENV, GIT_DIR: repo };
  if (!name) return env;
  if (!/^tmp_objdir-incoming-[A-Za-z0-9_]+$/.test(name)) return { error: `${name} is not a quarantine folder of git's.` };
  const dir = path.join(repo, 'objects', name);
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return { error: `There is no quarantine folder ${name} in this repository.` };
  return { ...env, GIT_QUARANTINE_PATH: dir, GIT_OBJECT_DIRECTORY: dir, GIT_ALTERNATE_OBJECT_DIRECTORIES: path.join(repo, 'objects') };
}
