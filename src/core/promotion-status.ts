// A promotion and each of its targets (Heroku: pending → completed; targets pending → succeeded | failed).
import { statusMachine } from './status-machine.js';

export type PromotionStatus = 'pending' | 'completed';
export type PromotionTargetStatus = 'pending' | 'succeeded' | 'failed';

export const PROMOTION = statusMachine<PromotionStatus>('promotion', { pending: ['completed'], completed: [] });

export const PROMOTION_TARGET = statusMachine<PromotionTargetStatus>('promotion target', {
  pending: ['succeeded', 'failed'],
  succeeded: [], failed: [],
});
