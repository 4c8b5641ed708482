// A dyno's state on its agent, as Heroku names them: starting until it listens (web) or runs,
// up, crashed (restarted after a back-off), and down once stopped — for good: a restart of a
// stopped dyno is a new dyno.
import { statusMachine } from './status-machine.js';

export type DynoState = 'starting' | 'up' | 'crashed' | 'down';

export const DYNO = statusMachine<DynoState>('dyno', {
  starting: ['up', 'crashed', 'down'],
  up: ['crashed', 'down'],
  crashed: ['starting', 'down'],
  down: [],
});
