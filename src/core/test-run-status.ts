// Test run and test node statuses as pure transitions (Heroku CI's enum, less `debugging`).

export const STATUSES = ['pending', 'creating', 'building', 'running', 'succeeded', 'failed', 'errored', 'cancelled'] as const;
export type TestStatus = (typeof STATUSES)[number];

export const TERMINAL: ReadonlySet<TestStatus> = new Set(['succeeded', 'failed', 'errored', 'cancelled']);
export const isTerminal = (s: TestStatus): boolean => TERMINAL.has(s);

/** What happened to a node; each event moves it along exactly one edge. */
export type NodeEvent =
  | { type: 'provision' } // workspace and add-ons are being created
  | { type: 'build' } // buildpacks and test-setup
  | { type: 'test' } // the test command
  | { type: 'finish'; outcome: 'succeeded' | 'failed' }
  | { type: 'error' } // a buildpack, setup, timeout or runner failure
  | { type: 'cancel' };

const FORWARD: Record<'provision' | 'build' | 'test', { from: readonly TestStatus[]; to: TestStatus }> = {
  provision: { from: ['pending', 'creating'], to: 'creating' }, // creating twice: add-ons first, then the node's own workspace
  build: { from: ['pending', 'creating'], to: 'building' },
  test: { from: ['building'], to: 'running' },
};

export class InvalidTransition extends Error {
  constructor(from: TestStatus, event: NodeEvent['type']) {
    super(`cannot apply "${event}" to a node that is ${from}`);
  }
}

/** The status after `event`, or an InvalidTransition: terminal states never change. */
export function nextStatus(from: TestStatus, event: NodeEvent): TestStatus {
  if (isTerminal(from)) throw new InvalidTransition(from, event.type);
  switch (event.type) {
    case 'provision':
    case 'build':
    case 'test': {
      const edge = FORWARD[event.type];
      if (!edge.from.includes(from)) throw new InvalidTransition(from, event.type);
      return edge.to;
    }
    case 'finish':
      if (from !== 'running') throw new InvalidTransition(from, event.type);
      return event.outcome;
    case 'error':
      return 'errored';
    case 'cancel':
      return 'cancelled';
  }
}

/** A run's status from its nodes': errored beats failed beats succeeded; until all end, the furthest live step. */
export function aggregateRunStatus(nodes: readonly TestStatus[]): TestStatus {
  if (nodes.length === 0) return 'pending';
  if (nodes.every(isTerminal)) {
    if (nodes.includes('cancelled')) return 'cancelled';
    if (nodes.includes('errored')) return 'errored';
    if (nodes.includes('failed')) return 'failed';
    return 'succeeded';
  }
  const live = nodes.filter((s) => !isTerminal(s));
  const order: TestStatus[] = ['running', 'building', 'creating', 'pending'];
  for (const s of order) if (live.includes(s)) return s;
  return 'pending';
}
