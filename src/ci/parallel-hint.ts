// Parallel nodes that each ran the whole suite: every count is multiplied by the node count.

interface CaseOnNode { description: string; test_node: { index: number } }

/** True when a run of several nodes had every node run the very same tests (none split them). */
export function sameTestsOnEveryNode(cases: readonly CaseOnNode[], nodeTotal: number): boolean {
  if (nodeTotal < 2) return false;
  const byNode = new Map<number, string[]>();
  for (const c of cases) byNode.set(c.test_node.index, [...(byNode.get(c.test_node.index) ?? []), c.description]);
  if (byNode.size !== nodeTotal) return false;
  const lists = [...byNode.values()].map((l) => l.sort().join('\n'));
  return lists.every((l) => l === lists[0]);
}

/** The line the summary shows when `sameTestsOnEveryNode` holds. */
export const parallelHint = (nodeTotal: number): string =>
  `All ${nodeTotal} parallel nodes ran the same tests, so every count is ${nodeTotal} times the suite's: ` +
  'split the tests with CI_NODE_INDEX (0-based) and CI_NODE_TOTAL, or set formation.test.quantity to 1.';
