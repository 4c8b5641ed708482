import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange, paginate, DEFAULT_MAX } from './range.js';

const ok = (h: string | undefined) => { const r = parseRange(h); if (!r.ok) throw new Error(r.message); return r.range; };
const rows = [3, 1, 4, 2, 5].map((v) => ({ version: v, id: `id-${v}` }));

test('no Range header: ids ascending, the default page size', () => {
  assert.deepEqual(ok(undefined), { field: 'id', startExclusive: false, max: DEFAULT_MAX, order: 'asc' });
});

test('the heroku CLI forms parse: options after ; or , in any order', () => {
  assert.deepEqual(ok('version ..; order=desc,max=1'), { field: 'version', startExclusive: false, max: 1, order: 'desc' });
  assert.deepEqual(ok('version ..; max=15, order=desc'), { field: 'version', startExclusive: false, max: 15, order: 'desc' });
  assert.deepEqual(ok('id ]id-2..; max=2'), { field: 'id', start: 'id-2', startExclusive: true, max: 2, order: 'asc' });
  assert.equal(ok('id ..; max=99999').max, DEFAULT_MAX, 'max is capped');
});

test('bad Range headers are refused with a reason', () => {
  for (const h of ['version', 'version ..; max=0', 'version ..; order=up', 'version ..; colour=red']) {
    const r = parseRange(h);
    assert.equal(r.ok, false, h);
  }
});

test('desc with max=1 gives the latest; Next-Range continues after it', () => {
  const p = paginate(rows, ok('version ..; order=desc,max=1'));
  assert.deepEqual(p.items.map((x) => x.version), [5]);
  assert.equal(p.contentRange, 'version 5..5; max=1, order=desc');
  assert.equal(p.nextRange, 'version ]5..; max=1, order=desc');
  const next = paginate(rows, ok(p.nextRange));
  assert.deepEqual(next.items.map((x) => x.version), [4]);
});

test('walking every page with Next-Range visits each item once; the last page has no Next-Range', () => {
  const seen: number[] = [];
  let range: string | undefined = 'version ..; max=2';
  for (let i = 0; range && i < 10; i++) {
    const p: { items: typeof rows; nextRange?: string } = paginate(rows, ok(range));
    seen.push(...p.items.map((x) => x.version));
    range = p.nextRange;
  }
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
});

test('an inclusive start and an end bound the page', () => {
  assert.deepEqual(paginate(rows, ok('version 2..4')).items.map((x) => x.version), [2, 3, 4]);
});

test('a field the items lack leaves them in order, unpaged by value', () => {
  const p = paginate(rows, ok('name ..; max=10'));
  assert.deepEqual(p.items.map((x) => x.version), [3, 1, 4, 2, 5]);
  assert.equal(p.nextRange, undefined);
});
