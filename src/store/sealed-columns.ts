// Which columns hold secrets, and the Kysely plugin that seals them on every insert and update and
// opens them in every result: store modules read and write plaintext, the database sees only
// sealed values (src/core/secret-box.ts). Raw SQL writes bypass it: none touches these columns.
import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { SEALED_PREFIX, type Keyring } from '../core/secret-box.js';

/** Table → its primary key and its sealed columns. */
export const SEALED_COLUMNS: Readonly<Record<string, { key: readonly string[]; columns: readonly string[] }>> = {
  app_config_vars: { key: ['app_id', 'key'], columns: ['value'] },
  stage_config_vars: { key: ['pipeline_id', 'stage', 'key'], columns: ['value'] },
  releases: { key: ['id'], columns: ['config'] },
  pipelines: { key: ['id'], columns: ['webhook_secret', 'status_token'] },
  app_webhooks: { key: ['id'], columns: ['secret', 'authorization'] },
  app_addons: { key: ['id'], columns: ['url'] },
  test_run_addons: { key: ['id'], columns: ['url'] },
  sni_endpoints: { key: ['id'], columns: ['private_key'] },
  // Build, test and release jobs carry config vars and add-on URLs to their runner.
  jobs: { key: ['id'], columns: ['payload'] },
};
const OPENED = new Set(Object.values(SEALED_COLUMNS).flatMap((t) => t.columns));

type Node = OperationNode & Record<string, unknown>;
const nameOf = (n: unknown): string | undefined => {
  const node = n as Node | undefined;
  if (!node) return undefined;
  if (node.kind === 'TableNode') return ((node.table as Node).identifier as Node).name as string;
  if (node.kind === 'AliasNode') return nameOf(node.node);
  if (node.kind === 'ColumnNode') return (node.column as Node).name as string;
  return undefined;
};

/** The plugin for one store: seals with `ring` (and opens with every key it holds). */
export function sealingPlugin(ring: () => Keyring): KyselyPlugin {
  const sealValue = (v: unknown): unknown => (typeof v === 'string' ? ring().seal(v) : v);
  const sealNode = (n: Node): Node => (n.kind === 'ValueNode' ? { ...n, value: sealValue(n.value) } : n);
  const sealUpdates = (updates: unknown, cols: readonly string[]) =>
    (updates as Node[] | undefined)?.map((u) => (cols.includes(nameOf(u.column) ?? '') ? { ...u, value: sealNode(u.value as Node) } : u));
  return {
    transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
      const n = node as unknown as Node;
      if (n.kind === 'InsertQueryNode') {
        const cols = SEALED_COLUMNS[nameOf(n.into) ?? '']?.columns;
        if (!cols) return node;
        const at = ((n.columns as Node[] | undefined) ?? []).map((c) => cols.includes(nameOf(c) ?? ''));
        const values = n.values as Node | undefined;
        const rows = values?.kind === 'ValuesNode' ? (values.values as Node[]).map((row) => row.kind === 'PrimitiveValueListNode'
          ? { ...row, values: (row.values as unknown[]).map((v, i) => (at[i] ? sealValue(v) : v)) }
          : { ...row, values: (row.values as Node[]).map((v, i) => (at[i] ? sealNode(v) : v)) }) : undefined;
        const onConflict = n.onConflict as Node | undefined;
        return {
          ...n, ...(rows ? { values: { ...values, values: rows } } : {}),
          ...(onConflict?.updates ? { onConflict: { ...onConflict, updates: sealUpdates(onConflict.updates, cols) } } : {}),
        } as unknown as RootOperationNode;
      }
      if (n.kind === 'UpdateQueryNode') {
        const cols = SEALED_COLUMNS[nameOf(n.table) ?? '']?.columns;
        return cols ? { ...n, updates: sealUpdates(n.updates, cols) } as unknown as RootOperationNode : node;
      }
      return node;
    },
    async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      const rows = result.rows;
      if (!rows.length) return result;
      // Only cells of sealed columns' names that carry the sealed prefix are opened (once).
      const open = (row: UnknownRow): UnknownRow => {
        let out: UnknownRow | undefined;
        for (const [k, v] of Object.entries(row)) {
          if (OPENED.has(k) && typeof v === 'string' && v.startsWith(SEALED_PREFIX)) (out ??= { ...row })[k] = ring().open(v);
        }
        return out ?? row;
      };
      return { ...result, rows: rows.map(open) };
    },
  };
}
