// .slugignore: gitignore-like patterns (no negation) of files left out of the slug.
export function slugignoreMatcher(text: string): (relPath: string) => boolean {
  const rules = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((p) => {
    const anchored = p.startsWith('/') || p.replace(/\/$/, '').includes('/');
    const body = p.replace(/^\//, '').replace(/\/$/, '');
    const re = body.split('**').map((part) => part.split('*').map((s) => s.split('?').map((x) => x.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('[^/]')).join('[^/]*')).join('.*');
    // A match covers the path itself and everything under it (a folder).
    return new RegExp(anchored ? `^${re}(/.*)?$` : `(^|/)${re}(/.*)?$`);
  });
  return (relPath) => rules.some((r) => r.test(relPath));
}
