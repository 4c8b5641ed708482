// Step 1's unpack of a test node's source and, when the buildpacks are detected, the first built-in's
// bin/detect, in one sandbox start instead of two (a start is 40–60 ms of CPU: bench/ci-overhead).
// Everything here runs as the run's tenant inside its sandbox: `tar` into the app folder, then a lone
// top folder (as GitHub's tarballs have one) made the app folder — by the tenant, in its own
// workspace, so root renames nothing there — then bin/detect on the app as unpacked.
import { runStep, type NodeSteps } from './node-steps.js';

/** How long bin/detect may take (as when it ran in a sandbox of its own). */
const DETECT_SECONDS = 60;
const DETECTED = 10;
const NOT_DETECTED = 11;

// $1 app folder, $2 tarball, $3 bin/detect to run after (optional). The unpack and the hoist run
// with the host's PATH only (the app's bin/ and node_modules/.bin choose nothing of ours); detect
// with the node's own PATH, as a separate detection sandbox had it. tar's failure exits with tar's
// status (1 or 2); DETECTED and NOT_DETECTED are the detection's outcome.
const SCRIPT = `set -u
app="$1" tarball="$2" detect="\${3:-}" node_path="$PATH"
PATH=/usr/bin:/bin
tar -xzf "$tarball" -C "$app" --no-same-owner || exit
shopt -s nullglob dotglob
entries=("$app"/*)
shopt -u nullglob dotglob
# Not a link (lstat), not app.json or package.json itself: the hoist rule of hoistSingleFolder.
if [ "\${#entries[@]}" = 1 ] && [ -d "\${entries[0]}" ] && [ ! -L "\${entries[0]}" ] && [ ! -e "$app/app.json" ] && [ ! -e "$app/package.json" ]; then
  mv -T -- "\${entries[0]}" "$app.hoist" && rmdir -- "$app" && mv -T -- "$app.hoist" "$app" || exit
fi
[ -n "$detect" ] || exit 0
cd -- "$app" || exit
said="$(PATH="$node_path" /usr/bin/timeout ${DETECT_SECONDS} "$detect" "$app" 2>/dev/null)" || exit ${NOT_DETECTED}
printf '%s' "$said"
exit ${DETECTED}
`;

/**
 * Unpack `tarball` into the node's app folder (a lone top folder hoisted) and, with `detect`, run
 * that bin/detect on it: what it printed, or null when it did not detect the app (undefined without
 * `detect`). A failed unpack is the run's invalid_params error, as before the merge.
 */
export async function unpackSource(n: NodeSteps, tarball: string, detect: string | undefined, env: Record<string, string>, log: (s: Buffer | string) => void): Promise<string | null | undefined> {
  let said = '';
  const r = await runStep(n, { argv: ['bash', '-c', SCRIPT, 'unpack', n.ws.app, tarball, ...(detect ? [detect] : [])], env, onStdout: (c) => { said += c; }, onStderr: log },
    'invalid_params', 'unpacking the source', detect ? [DETECTED, NOT_DETECTED] : [0]);
  if (!detect) return undefined;
  return r.exitCode === DETECTED ? said : null;
}
