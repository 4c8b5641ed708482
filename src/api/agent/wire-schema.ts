// Validation of what agents send: event batches and registration, each field bounded.
import net from 'node:net';
import { z } from 'zod/v3';
import { ERRORS, type ErrorId } from '../../core/errors.js';
import type { WireEvent } from '../../agent/protocol.js';
import { neverADyno } from '../../core/this-host-address.js';

const text = (max: number) => z.string().max(max);
const testCase = z.object({ number: z.number().int(), description: text(10_000), status: z.enum(['passed', 'failed', 'skipped', 'todo']), diagnostic: text(100_000).nullable(), durationMs: z.number().min(0).max(1e10).nullable().optional() });
const errorId = z.string().refine((s): s is ErrorId => s in ERRORS, 'an error id of docs/errors.md');

const wireEvent = z.union([
  z.object({ type: z.literal('output'), stream: z.enum(['setup', 'test']).optional(), data_base64: z.string().max(8 * 1024 * 1024) }),
  z.object({ type: z.literal('status'), event: z.enum(['provision', 'build', 'test']) }),
  z.object({ type: z.literal('stream-end'), stream: z.enum(['setup', 'test']) }),
  z.object({ type: z.literal('setup-done') }),
  z.object({ type: z.literal('cases'), cases: z.array(testCase).max(100_000) }),
  z.object({ type: z.literal('steps'), steps: z.array(z.object({ step: text(200), wallMs: z.number().min(0).max(1e10), sandboxCpuMs: z.number().min(0).max(1e10).nullable(), runnerCpuMs: z.number().min(0).max(1e10).nullable() })).max(100) }),
  // A test node's end, a build's, a release phase's.
  z.object({ type: z.literal('end'), outcome: z.enum(['succeeded', 'failed', 'errored', 'cancelled']), exitCode: z.number().int().nullable().optional(), errorId: errorId.optional(), message: text(100_000).optional() }),
  z.object({ type: z.literal('end'), ok: z.literal(true), processTypes: z.record(z.string(), text(10_000)), buildpacks: z.array(text(2000)).max(100), size: z.number().int().min(0) }),
  z.object({ type: z.literal('end'), ok: z.boolean(), message: text(100_000).nullable() }),
  // A one-off dyno's.
  z.object({ type: z.literal('up') }),
  z.object({ type: z.literal('exit'), exitCode: z.number().int().min(0).max(255), message: text(100_000).optional() }),
]);

export const eventBatchSchema = z.object({ seq: z.number().int().min(1), events: z.array(wireEvent).max(5000) })
  .transform((b) => b as { seq: number; events: WireEvent[] });

export const registerSchema = z.object({
  protocol_version: z.number().int(),
  name: text(63).optional(),
  hostname: text(255),
  // Where the router reaches the agent's dynos: an IP address, never a name (see dyno-routes.ts).
  address: text(255).refine((a) => net.isIP(a.replace(/^\[(.*)\]$/, '$1')) !== 0, 'must be an IP address: the router reaches the agent\'s dynos there (start the agent with --advertise IP)')
    .refine((a) => !neverADyno(a), 'must be an address of the agent\'s host: a link-local (the cloud\'s metadata service), multicast or broadcast address is never one (start the agent with --advertise IP)').nullable(),
  // 0: an agent for dynos only (the local agent process beside a server whose own runner takes the jobs).
  slots: z.number().int().min(0).max(256),
  memory_mb: z.number().int().min(64).max(16 * 1024 * 1024).nullable(),
  // Jobs an earlier process of this agent left running (detached one-offs), to take over.
  resume: z.array(text(64)).max(1000).optional(),
  labels: z.array(text(63)).max(32).optional(),
});

export const claimSchema = z.object({ kinds: z.array(text(64)).max(16).optional(), wait_ms: z.number().int().min(0).max(30_000).optional() });
export const cancelWatchSchema = z.object({ wait_ms: z.number().int().min(0).max(30_000).optional() });
export const finishSchema = z.object({ ok: z.boolean(), error: text(10_000).optional() });

export const dynosQuerySchema = z.object({ wait_ms: z.coerce.number().int().min(0).max(30_000).optional() });
const observedDyno = z.object({
  id: text(200), appId: text(64), releaseId: text(64), type: text(64), name: text(80),
  state: z.enum(['starting', 'up', 'crashed', 'stopping', 'stopped']), host: text(255), port: z.number().int().min(1).max(65535),
  restarts: z.number().int().min(0), changedAt: text(40),
  memoryMb: z.number().min(0).max(16 * 1024 * 1024).optional(), cpuMs: z.number().int().min(0).optional(),
  spaceAddress: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'an IPv4 address').optional(),
});
export const observedSchema = z.object({ dynos: z.array(observedDyno).max(2000) });
export const dynoLogSchema = z.object({ lines: z.array(z.object({ app_id: text(64), source: z.string().regex(/^(app|heroku)\[[\w.-]{1,80}\]$/, 'app[NAME] or heroku[NAME]'), line: text(64 * 1024), at: z.string().datetime().optional() })).max(10_000) });
export const addonStatusSchema = z.object({
  addons: z.array(z.object({
    id: text(64), state: z.enum(['starting', 'up', 'crashed']), restarts: z.number().int().min(0), last_exit: text(2000).nullable(), changed_at: z.string().datetime(),
  })).max(2000),
});
