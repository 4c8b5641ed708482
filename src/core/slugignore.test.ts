import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slugignoreMatcher } from './slugignore.js';

test('.slugignore: names anywhere, anchored paths, folders, globs, comments', () => {
  const m = slugignoreMatcher('# comment\n*.psd\n/docs\ntest/fixtures/\nspec/**/*.snap\n');
  for (const yes of ['logo.psd', 'assets/img/logo.psd', 'docs', 'docs/guide.md', 'test/fixtures/a.json', 'spec/a/b/c.snap']) assert.equal(m(yes), true, yes);
  for (const no of ['logo.png', 'src/docs/x.md', 'test/unit.js', 'spec/a.js']) assert.equal(m(no), false, no);
});
