// The agent protocol's wire shapes (docs/agent-protocol.md), shared by the server's /agent/v1 routes
// and the agent: what each message holds, and events to and from JSON (bytes travel as base64).
import type { JobEvent } from '../runner/execute-job.js';
import type { DesiredDyno, ObservedDyno } from '../runtime/desired-state.js';
import type { SpaceApp, SpaceFabric, SpaceSpec } from '../spaces/space-owner.js';
import type { AddonServerStatus } from '../core/addon-server-status.js';

/** The protocol versions this build speaks; an agent says which one it uses when it registers. */
export const PROTOCOL_VERSIONS = [1] as const;
export const PROTOCOL_VERSION = 1;
/** Every agent request names the agent process (a fresh id per start) in this header. */
export const INSTANCE_HEADER = 'x-slipway-agent-instance';

/** `resume`: jobs an earlier process of this agent left running (detached one-offs) that this one takes over. */
export interface RegisterRequest { protocol_version: number; name?: string; hostname: string; address: string | null; slots: number; memory_mb: number | null; labels?: string[]; resume?: string[] }
/**
 * `spaces`: this agent runs private spaces (the operator allowed it); it then reads them from GET /agent/v1/spaces.
 * `resumed`: the jobs of `resume` now leased to this process, each with the last event batch recorded (the next is `seq + 1`).
 */
export interface RegisterResponse { agent_id: string; name: string; protocol_version: number; lease_ms: number; heartbeat_ms: number; max_event_batch: number; spaces?: boolean; resumed?: Array<{ id: string; seq: number }> }
export interface ClaimRequest { kinds?: string[]; wait_ms?: number }
export interface ClaimedJob { id: string; kind: string; payload: string; attempts: number; lease_ms: number }
export interface LeaseResponse { cancel: boolean; lost: boolean }
export interface EventBatch { seq: number; events: WireEvent[] }
export interface EventBatchResponse { seq: number; duplicate: boolean }
export interface FinishRequest { ok: boolean; error?: string }

/** An event on the wire: output bytes as base64; a build's slug goes up before its end event, so the end names no file. */
export type WireEvent =
  | { type: 'output'; stream?: 'setup' | 'test'; data_base64: string }
  | { type: 'end'; ok: true; processTypes: Record<string, string>; buildpacks: string[]; size: number }
  | Exclude<JobEvent, { type: 'output' } | { type: 'end'; ok: true }>;

/** A job event as JSON for the wire. */
export function toWire(e: JobEvent): WireEvent {
  if (e.type === 'output') {
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
    return 'stream' in e ? { type: 'output', stream: e.stream, data_base64: data.toString('base64') } : { type: 'output', data_base64: data.toString('base64') };
  }
  if (e.type === 'end' && 'slugFile' in e) return { type: 'end', ok: true, processTypes: e.processTypes, buildpacks: e.buildpacks, size: e.size };
  return e;
}

/** A wire event back to a job event; `slugFile` is where the server keeps a build's uploaded slug. */
export function fromWire(w: WireEvent, slugFile: () => string): JobEvent {
  if (w.type === 'output') {
    const data = Buffer.from(w.data_base64, 'base64');
    return w.stream ? { type: 'output', stream: w.stream, data } : { type: 'output', data };
  }
  if (w.type === 'end' && 'processTypes' in w) return { type: 'end', ok: true, slugFile: slugFile(), processTypes: w.processTypes, buildpacks: w.buildpacks, size: w.size };
  return w;
}

/** `GET /agent/v1/dynos`: this agent's desired dynos, complete; `etag` changes whenever the set does. */
export interface DesiredDynosResponse { etag: string; dynos: DesiredDyno[] }
/** `PUT /agent/v1/dynos/observed`: what runs on this agent now (replaces its previous report). */
export interface ObservedReport { dynos: ObservedDyno[] }
/** Reported dynos that are neither desired on this agent nor reported by it before are ignored (named here). */
export interface ObservedReportResponse { ok: true; ignored: string[] }
/** `POST /agent/v1/dynos/logs`: dyno output and dyno events for the apps' logs. */
/** `at`: when the agent read the line (ISO 8601): the log line's time, not the batch's arrival. */
export interface DynoLogBatch { lines: Array<{ app_id: string; source: string; line: string; at?: string }> }
/** The apps' add-on servers this agent runs, as their supervisor last saw each (core/addon-server-status.ts). */
export interface AddonStatusReport { addons: Array<{ id: string } & AddonServerStatus> }

/**
 * `GET /agent/v1/spaces`: the private spaces this agent runs and its part in the overlay, complete.
 * `local`: the server beside it sends it the spaces and apps over its companion socket (the local
 * agent process), so only `fabric` is for it.
 */
export interface SpacesPlanResponse { etag: string; local: boolean; spaces: SpaceSpec[]; apps: SpaceApp[]; fabric: SpaceFabric }
