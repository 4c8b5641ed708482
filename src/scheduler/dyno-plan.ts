// What an app's desired dynos become after a deploy, a scale, a restart or an agent loss: a pure
// diff of its formation and current release against its rows. A row that still fits (same release,
// size and command, its slot still in the formation, its agent still usable, not restarted) is
// kept as it is, so scaling web=1 → 2 leaves web.1 alone; anything else gets a new row with the
// next generation, which the agent starts and boots before it drains the row it replaces.

export interface DesiredRow { id: string; release_id: string; process_type: string; name: string; size: string; command: string; agent_id: string | null; generation: number }

export interface PlanInput<R extends DesiredRow = DesiredRow> {
  release: { id: string; processTypes: Record<string, string> } | null;
  formation: readonly { type: string; quantity: number; size: string }[];
  existing: readonly R[];
  /** Agents dynos may stay on. */
  usable: ReadonlySet<string>;
  /** Restart: every dyno (''), a process type (`web`) or one dyno (`web.2`). */
  restart?: string;
}

/** A dyno slot to create: placement chooses its agent (`prefer` is where its predecessor ran). */
export interface NewDyno { name: string; type: string; size: string; command: string; generation: number; prefer: string | null }

export interface Plan<R extends DesiredRow = DesiredRow> { keep: R[]; create: NewDyno[]; remove: string[] }

const restarted = (row: DesiredRow, which: string | undefined) => which !== undefined && (which === '' || row.process_type === which || row.name === which);

/** The rows an app keeps, creates and removes. */
export function planAppDynos<R extends DesiredRow>(p: PlanInput<R>): Plan<R> {
  const wanted: Omit<NewDyno, 'generation' | 'prefer'>[] = [];
  for (const f of p.formation) {
    const command = p.release?.processTypes[f.type];
    if (!command || f.type === 'release') continue;
    for (let i = 1; i <= f.quantity; i++) wanted.push({ name: `${f.type}.${i}`, type: f.type, size: f.size, command });
  }
  const keep: R[] = [];
  const create: NewDyno[] = [];
  for (const w of wanted) {
    const old = p.existing.find((r) => r.name === w.name);
    const stays = old && old.release_id === p.release?.id && old.size === w.size && old.command === w.command
      && old.agent_id !== null && p.usable.has(old.agent_id) && !restarted(old, p.restart);
    if (stays) keep.push(old);
    else create.push({ ...w, generation: (old?.generation ?? 0) + 1, prefer: old?.agent_id ?? null });
  }
  const kept = new Set(keep.map((r) => r.id));
  return { keep, create, remove: p.existing.filter((r) => !kept.has(r.id)).map((r) => r.id) };
}
