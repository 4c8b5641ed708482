// TAP on a test command's stdout → test cases and counts (Heroku CI step 5/6), via tap-parser.
import { Parser } from 'tap-parser';
import type { NewTestCase } from '../store/test-runs.js';

export interface TapSummary { cases: NewTestCase[]; sawTap: boolean; bailedOut: boolean; planMismatch: boolean }

interface Point { ok: boolean; name: string; fullname?: string; todo: string | boolean; skip: string | boolean; diag: Record<string, unknown> | null }

/** Diagnostic YAML as readable text: the error first, then the rest (timing noise dropped). */
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
  private planMismatch = false;
  private ending = false;
  private done: Promise<void>;

  constructor(private onCase?: (c: NewTestCase) => void) {
    this.watch(this.parser, []);
    this.done = new Promise((resolve) => this.parser.on('complete', (r: { plan?: { start?: number; end?: number; skipAll?: boolean }; count: number; ok: boolean }) => {
      const plan = r.plan;
      if (this.sawTap && plan && plan.end !== undefined && plan.end >= 0 && !plan.skipAll && r.count !== plan.end - (plan.start ?? 1) + 1) this.planMismatch = true;
      resolve();
    }));
    this.parser.on('bailout', () => { this.bailedOut = true; });
  }

  private watch(p: Parser, path: string[]): void {
    let childLeaves = 0;
    let childFailed = false;
    // tap-parser invents a version and an empty plan at end() when it saw none: only count real ones.
    p.on('version', () => { if (!this.ending) this.sawTap = true; });
    p.on('plan', () => { if (!this.ending) this.sawTap = true; });
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
      const isSuite = childLeaves > 0;
      const hidFailure = !pt.ok && !pt.todo && !childFailed;
      childLeaves = 0;
      childFailed = false;
      // A suite point whose leaves were recorded is folded; a failing suite with no failing leaf (a hook) is kept.
      if (isSuite && !hidFailure) return;
      const status: NewTestCase['status'] = pt.todo ? 'todo' : pt.skip ? 'skipped' : pt.ok ? 'passed' : 'failed';
      const c: NewTestCase = { number: this.cases.length + 1, description: pt.fullname || pt.name || `test ${this.cases.length + 1}`, status, diagnostic: status === 'failed' ? formatDiagnostic(pt.diag) : null };
      this.cases.push(c);
      this.onCase?.(c);
    });
  }

  write(chunk: Buffer | string): void { this.parser.write(chunk.toString()); }

  async end(): Promise<TapSummary> {
    this.ending = true;
    this.parser.end();
    await this.done;
    return { cases: this.cases, sawTap: this.sawTap, bailedOut: this.bailedOut, planMismatch: this.planMismatch };
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
