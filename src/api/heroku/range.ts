// Heroku's list pagination: a `Range: <field> [start]..[end][; max=N][, order=asc|desc]` request
// header picks a page; a 206 with `Next-Range` says there is more. Pure, so it is unit tested.

export const DEFAULT_MAX = 1000;

export interface RangeSpec { field: string; start?: string; startExclusive: boolean; end?: string; max: number; order: 'asc' | 'desc' }

export type RangeParse = { ok: true; range: RangeSpec } | { ok: false; message: string };

/** Parse a Range header as the heroku CLI sends it (`version ..; order=desc,max=1`, `id ]abc..; max=200`). */
export function parseRange(header: string | undefined, defaultField = 'id'): RangeParse {
  if (!header || !header.trim()) return { ok: true, range: { field: defaultField, startExclusive: false, max: DEFAULT_MAX, order: 'asc' } };
  const m = /^\s*([a-z_]+)\s*(\]?)([^.;,]*)\.\.([^;,]*)(.*)$/i.exec(header);
  if (!m) return { ok: false, message: `Invalid Range header "${header}": expected "<field> [start]..[end][; max=N, order=asc|desc]".` };
  const range: RangeSpec = { field: m[1]!, startExclusive: m[2] === ']', max: DEFAULT_MAX, order: 'asc' };
  if (m[3]!.trim()) range.start = m[3]!.trim();
  if (m[4]!.trim()) range.end = m[4]!.trim();
  for (const part of m[5]!.split(/[;,]/).map((p) => p.trim()).filter(Boolean)) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (k === 'max') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) return { ok: false, message: `Invalid Range header "${header}": max must be a positive integer.` };
      range.max = Math.min(n, DEFAULT_MAX);
    } else if (k === 'order') {
      if (v !== 'asc' && v !== 'desc') return { ok: false, message: `Invalid Range header "${header}": order is asc or desc.` };
      range.order = v;
    } else {
      return { ok: false, message: `Invalid Range header "${header}": unknown option "${k}".` };
    }
  }
  return { ok: true, range };
}

const compare = (a: unknown, b: unknown): number => {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const na = Number(a);
  const nb = Number(b);
  if (typeof a === 'number' || typeof b === 'number') return (Number.isNaN(na) || Number.isNaN(nb)) ? String(a).localeCompare(String(b)) : na - nb;
  return String(a ?? '').localeCompare(String(b ?? ''));
};

export interface Page<T> { items: T[]; contentRange?: string; nextRange?: string }

/** One page of `items` under `range`; items without the field keep their order (the field is not sortable there). */
export function paginate<T extends Record<string, unknown>>(items: T[], range: RangeSpec): Page<T> {
  const sortable = items.length > 0 && items.every((x) => x[range.field] !== undefined && typeof x[range.field] !== 'object');
  let list = items;
  if (sortable) {
    const dir = range.order === 'desc' ? -1 : 1;
    list = [...items].sort((a, b) => dir * compare(a[range.field], b[range.field]));
    const after = (x: T, bound: string, exclusive: boolean) => { const c = dir * compare(x[range.field], bound); return exclusive ? c > 0 : c >= 0; };
    if (range.start !== undefined) list = list.filter((x) => after(x, range.start!, range.startExclusive));
    if (range.end !== undefined) list = list.filter((x) => dir * compare(x[range.field], range.end!) <= 0);
  }
  const page = list.slice(0, range.max);
  const opts = `; max=${range.max}, order=${range.order}`;
  if (!sortable || page.length === 0) return { items: page };
  const first = String(page[0]![range.field]);
  const last = String(page[page.length - 1]![range.field]);
  return {
    items: page,
    contentRange: `${range.field} ${first}..${last}${opts}`,
    nextRange: list.length > page.length ? `${range.field} ]${last}..${opts}` : undefined,
  };
}
