// Review apps, with Heroku's statuses: pending → creating → created → deleting → deleted, or errored.
// A reopened pull request starts a deleted or errored review app over (→ pending).
import { statusMachine } from './status-machine.js';

export type ReviewAppStatus = 'pending' | 'creating' | 'created' | 'deleting' | 'deleted' | 'errored';

export const REVIEW_APP = statusMachine<ReviewAppStatus>('review app', {
  pending: ['creating', 'errored', 'deleting'],
  creating: ['created', 'errored', 'deleting'],
  created: ['creating', 'errored', 'deleting'], // a new push rebuilds it (and its build may fail)
  errored: ['pending', 'creating', 'deleting'],
  deleting: ['deleted', 'errored'],
  deleted: ['pending'],
});
