// One shape for the flow's status machines (builds, deploys, promotion targets, review apps): a
// table of legal moves, and a pure check every store write goes through.

/** A move the table does not allow: a programming or ordering error, never written. */
export class IllegalTransition extends Error {
  constructor(readonly what: string, readonly from: string, readonly to: string) {
    super(`a ${what} cannot go from ${from} to ${to}`);
  }
}

export interface StatusMachine<S extends string> {
  readonly what: string;
  /** Every status, and where each may go (terminal statuses go nowhere). */
  readonly moves: Readonly<Record<S, readonly S[]>>;
  can(from: S, to: S): boolean;
  /** `to`, or an IllegalTransition. */
  next(from: S, to: S): S;
  /** The statuses from which `to` may be reached (for a conditional update). */
  into(to: S): S[];
  isTerminal(s: S): boolean;
}

export function statusMachine<S extends string>(what: string, moves: Record<S, readonly S[]>): StatusMachine<S> {
  const all = Object.keys(moves) as S[];
  return {
    what, moves,
    can: (from, to) => (moves[from] ?? []).includes(to),
    next(from, to) { if (!this.can(from, to)) throw new IllegalTransition(what, from, to); return to; },
    into: (to) => all.filter((s) => moves[s].includes(to)),
    isTerminal: (s) => (moves[s] ?? []).length === 0,
  };
}
