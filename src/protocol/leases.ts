// Zod schemas for leases: one agent's exclusive hold on a named resource (a git worktree), expiring unless renewed.
import { z } from "zod";
import { AgentId, Meta } from "./entities.ts";

/** What a lease holds, e.g. a worktree's absolute path; one live lease per key. */
export const LeaseKey = z.string().min(1).max(1024);

/** A runner instance (its bus hello's instanceId). */
const InstanceId = z.string().min(1).max(128);

/** Most bytes a lease's meta may take as JSON: every listing carries it. */
export const LEASE_META_BYTES = 2048;

export const Lease = z.object({
  /** Opaque; a new id each time the key changes hands. */
  id: z.string(),
  key: LeaseKey,
  /** The holder: an agent and its runner instance. */
  agentId: AgentId,
  instanceId: InstanceId,
  /** Free-form details the holder gave (a worktree's branch and repository). */
  meta: Meta,
  /** Epoch ms. */
  acquiredAt: z.number(),
  renewedAt: z.number(),
  /** After this the key is free for anyone; the relay renews a lease while its holder's bus session is open. */
  expiresAt: z.number(),
});
export type Lease = z.infer<typeof Lease>;

/** POST /v1/leases: only the agent's own runtime token may acquire for it. */
export const AcquireLeaseRequest = z.object({
  key: LeaseKey,
  agentId: AgentId,
  instanceId: InstanceId,
  meta: Meta.refine((m) => JSON.stringify(m).length <= LEASE_META_BYTES, {
    message: `lease meta must be at most ${LEASE_META_BYTES} bytes as JSON`,
  }).optional(),
});
export type AcquireLeaseRequest = z.input<typeof AcquireLeaseRequest>;

/** POST /v1/leases/:id/renew: the holder instance renews (the bus session does it too, see docs/protocol.md). */
export const RenewLeaseRequest = z.object({ instanceId: InstanceId });
export type RenewLeaseRequest = z.input<typeof RenewLeaseRequest>;

/** DELETE /v1/leases/:id?instanceId=: with instanceId, only while that instance still holds it. */
export const ReleaseLeaseQuery = z.object({ instanceId: InstanceId.optional() });

export const LeaseAnswer = z.object({ lease: Lease });
export type LeaseAnswer = z.infer<typeof LeaseAnswer>;
export const LeasesAnswer = z.object({ leases: z.array(Lease) });
export type LeasesAnswer = z.infer<typeof LeasesAnswer>;

/** `details` of the 409 answered when another holder has the key. */
export const LeaseHeldDetails = z.object({
  holder: z.object({ agentId: AgentId, instanceId: InstanceId, expiresAt: z.number() }),
});
export type LeaseHeldDetails = z.infer<typeof LeaseHeldDetails>;
