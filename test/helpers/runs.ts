// Reading test runs back through the API in end-to-end tests.
import { api, type TestServer } from './server.js';

export interface RunJson { id: string; number: number; status: string; message: string | null; counts: Record<string, number>; commit_sha: string; node_total: number }
export interface NodeJson { id: string; index: number; status: string; message: string | null; setup_stream_url: string; output_stream_url: string; waiting_reason: string | null }
export interface CaseJson { description: string; status: string; diagnostic: string | null; test_node: { index: number } }

export async function latestRun(s: TestServer, pipeline: string): Promise<RunJson> {
  const { json } = await api<RunJson[]>(s, 'GET', `/pipelines/${pipeline}/test-runs?limit=1`);
  return json[0]!;
}

export async function runByNumber(s: TestServer, pipeline: string, n: number): Promise<RunJson> {
  return (await api<RunJson>(s, 'GET', `/pipelines/${pipeline}/test-runs/${n}`)).json;
}

export const nodesOf = async (s: TestServer, runId: string) => (await api<NodeJson[]>(s, 'GET', `/test-runs/${runId}/test-nodes`)).json;
export const casesOf = async (s: TestServer, runId: string) => (await api<CaseJson[]>(s, 'GET', `/test-runs/${runId}/test-cases`)).json;

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function waitForStatus(s: TestServer, runId: string, statuses: string[], timeoutMs = 60_000): Promise<RunJson> {
  return waitFor(`run ${runId} to be ${statuses.join('|')}`, async () => {
    const r = (await api<RunJson>(s, 'GET', `/test-runs/${runId}`)).json;
    return statuses.includes(r.status) ? r : undefined;
  }, timeoutMs);
}
