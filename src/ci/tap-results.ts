// TAP on a test command's stdout → test cases and counts (Heroku CI step 5/6), via tap-parser.
import { Parser } from 'tap-parser';
import type { NewTestCase } from '../store/test-runs.js';

export interface TapSummary { cases: NewTestCase[]; sawTap: boolean; bailedOut: boolean; planMismatch: boolean; bailOutReason?: string; plan?: { planned: number; ran: number } }

interface Point { ok: boolean; name: string; fullname?: string; todo: string | boolean; skip: string | boolean; diag: Record<string, unknown> | null; time?: number | null }

/** Diagnostic YAML as readable text: the error first, then the rest (timing noise dropped). */
/** A reported duration in ms, when it is a sane number (tap-parser reads `duration_ms` and `# time=` into a point's time). */
export const durationOf = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e10 ? Math.round(v * 1000) / 1000 : null);

function formatDiagnostic(diag: Record<string, unknown> | null): string | null {
  if (!diag) return null;
  const lines: string[] = [];
  const order = ['error', 'message', 'expected', 'actual', 'operator', 'location', 'stack'];
  const keys = [...order.filter((k) => k in diag), ...Object.keys(diag).filter((k) => !order.includes(k) && k !== 'duration_ms' && k !== 'failureType' && k !== 'code')];
  for (const k of keys) {
    const v = diag[k];
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    lines.push(text.includes('\n') ? `${k}:\n  ${text.replace(/\n/g, '\n  ')}` : `${k}: ${text}`);
  }
  return lines.length ? lines.join('\n') : null;
}

/** A streaming TAP reader: write stdout chunks, then `end()` gives the cases. Leaves only: suites are folded. */
export class TapReader {
  private parser = new Parser();
  private cases: NewTestCase[] = [];
  private sawTap = false;
  private bailedOut = false;
  private bailOutReason = '';
  private planMismatch = false;
  private ending = false;
  /** A failure with no YAML block: indented lines after it (TAP 12, mocha) are its diagnostic. */
  private open: NewTestCase | null = null;
  private plan: { planned: number; ran: number } | null = null;
  private done: Promise<void>;

  constructor(private onCase?: (c: NewTestCase) => void) {
    this.watch(this.parser, []);
    this.done = new Promise((resolve) => this.parser.on('complete', (r: { plan?: { start?: number; end?: number; skipAll?: boolean }; count: number; ok: boolean }) => {
      const plan = r.plan;
      if (this.sawTap && plan && plan.end !== undefined && plan.end >= 0 && !plan.skipAll && r.count !== plan.end - (plan.start ?? 1) + 1) {
        this.planMismatch = true;
        this.plan = { planned: plan.end - (plan.start ?? 1) + 1, ran: r.count };
      }
      resolve();
    }));
    this.parser.on('bailout', (reason: string) => { this.bailedOut = true; this.bailOutReason = reason; });
  }

  private watch(p: Parser, path: string[]): void {
    let childLeaves = 0;
    let childFailed = false;
    // tap-parser invents a version and an empty plan at end() when it saw none: only count real ones.
    p.on('version', () => { if (!this.ending) this.sawTap = true; });
    p.on('plan', () => { if (!this.ending) this.sawTap = true; this.open = null; });
    p.on('comment', () => { this.open = null; });
    p.on('extra', (line: string) => {
      const c = this.open;
      if (!c || !/^\s/.test(line) || !line.trim()) return;
      c.diagnostic = (c.diagnostic ? `${c.diagnostic}\n` : '') + line.replace(/^ {2}/, '').trimEnd();
    });
    p.on('child', (child: Parser) => {
      const before = this.cases.length;
      const failedBefore = this.cases.filter((c) => c.status === 'failed').length;
      child.on('complete', () => {
        childLeaves = this.cases.length - before;
        childFailed = this.cases.filter((c) => c.status === 'failed').length > failedBefore;
      });
      this.watch(child, path); // names come from the child's own asserts; the suite point follows
    });
    p.on('assert', (pt: Point) => {
      this.sawTap = true;
      this.open = null;
      const isSuite = childLeaves > 0;
      const hidFailure = !pt.ok && !pt.todo && !childFailed;
      childLeaves = 0;
      childFailed = false;
      // A suite point whose leaves were recorded is folded; a failing suite with no failing leaf (a hook) is kept.
      if (isSuite && !hidFailure) return;
      const status: NewTestCase['status'] = pt.todo ? 'todo' : pt.skip ? 'skipped' : pt.ok ? 'passed' : 'failed';
      const c: NewTestCase = { number: this.cases.length + 1, description: pt.fullname || pt.name || `test ${this.cases.length + 1}`, status, diagnostic: status === 'failed' ? formatDiagnostic(pt.diag) : null, durationMs: durationOf(pt.time) };
      this.open = status === 'failed' && !c.diagnostic ? c : null;
      this.cases.push(c);
      this.onCase?.(c);
    });
  }

  write(chunk: Buffer | string): void { this.parser.write(chunk.toString()); }

  async end(): Promise<TapSummary> {
    this.ending = true;
    this.parser.end();
    await this.done;
    return { cases: this.cases, sawTap: this.sawTap, bailedOut: this.bailedOut, planMismatch: this.planMismatch, bailOutReason: this.bailOutReason, ...(this.plan ? { plan: this.plan } : {}) };
  }
}

export function countCases(cases: readonly Pick<NewTestCase, 'status'>[]): { passed: number; failed: number; skipped: number; todo: number } {
  const c = { passed: 0, failed: 0, skipped: 0, todo: 0 };
  for (const x of cases) c[x.status]++;
  return c;
}

/**
 * Heroku's rule: TAP failures take precedence over the exit code; without TAP the exit code decides.
 * JUnit reports count like TAP: any failed case fails the run.
 */
export function testOutcome(exitCode: number | null, tap: TapSummary, reportCases: readonly Pick<NewTestCase, 'status'>[] = []): 'succeeded' | 'failed' {
  if (tap.sawTap && (tap.cases.some((c) => c.status === 'failed') || tap.bailedOut || tap.planMismatch)) return 'failed';
  if (reportCases.some((c) => c.status === 'failed')) return 'failed';
  return exitCode === 0 ? 'succeeded' : 'failed';
}

/**
 * Why a failed run failed when its cases do not say it (no failed case): the line the summary shows.
 * Undefined when a failed case explains it, or the run did not fail.
 */
export function failureReason(exitCode: number | null, tap: TapSummary, reportCases: readonly Pick<NewTestCase, 'status'>[] = []): string | undefined {
  const cases = reportCases.length ? reportCases : tap.cases;
  if (cases.some((c) => c.status === 'failed')) return undefined;
  const exited = `the test command exited ${exitCode ?? 'on a signal'}`;
  if (tap.bailedOut) return `the tests bailed out${tap.bailOutReason ? `: ${tap.bailOutReason}` : ''}`;
  if (tap.planMismatch && tap.plan) return `the TAP plan announced ${tap.plan.planned} tests but ${tap.plan.ran} ran${exitCode ? `; ${exited}` : ''}`;
  if (exitCode === 0) return undefined;
  if (!tap.sawTap && !reportCases.length) return `no TAP or JUnit results; ${exited}`;
  const passing = countCases(cases).passed;
  return `${exited} after ${passing} passing test${passing === 1 ? '' : 's'}`;
}
