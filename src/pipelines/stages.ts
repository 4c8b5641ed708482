// Pipeline stages in order, Heroku's four plus the case study's QA, and the name-suffix inference
// the heroku CLI does when `--stage` is omitted.
export const STAGES = ['review', 'development', 'qa', 'staging', 'production'] as const;
export type Stage = (typeof STAGES)[number];

export const isStage = (s: string): s is Stage => (STAGES as readonly string[]).includes(s);

/** The stage an app name suggests: `-dev`/`-development`/`-uat`/`-tst`/`-test` → development, `-qa` → qa, … */
export function inferStage(appName: string): Stage | null {
  if (/-(dev|development|uat|tst|test)$/.test(appName)) return 'development';
  if (/-qa$/.test(appName)) return 'qa';
  if (/-(stg|staging)$/.test(appName)) return 'staging';
  if (/-(prd|prod|production|admin|demo)$/.test(appName)) return 'production';
  if (/-pr-\d+$/.test(appName)) return 'review';
  return null;
}

/** The stage a promotion from `from` goes to: the next later stage that has apps. */
export function nextStage(from: Stage, occupied: ReadonlySet<string>): Stage | null {
  for (const s of STAGES.slice(STAGES.indexOf(from) + 1)) if (s !== 'review' && occupied.has(s)) return s;
  return null;
}

/** Whether a branch matches a pipeline's CI branch filter (comma-separated globs; `*` is any run of characters). */
export function branchMatches(branch: string | null, filter: string | null): boolean {
  if (!filter?.trim()) return true;
  if (branch === null) return false;
  return filter.split(',').map((g) => g.trim()).filter(Boolean).some((glob) => {
    const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return re.test(branch);
  });
}
