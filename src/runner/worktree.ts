// An agent's own git worktree for one runner's life: leased on the relay before it is touched, made (or reused)
// before the provider starts, and on stop removed when clean or kept (and reported) when it holds uncommitted work.
//
//   idle ──open──▶ leased ──(worktree made)──▶ open ──close──▶ closed (outcome: removed | kept)
import type { Logger } from "pino";
import type { Lease } from "../protocol/index.ts";
import type { RelayHttpClient } from "../relay-client/index.ts";
import { HttpError } from "../relay-client/index.ts";
import { errorMessage } from "../util/errors.ts";
import { LeaseClient } from "./lease-client.ts";
import {
  ensureWorktree,
  finishWorktree,
  WorktreeError,
  type WorktreeOutcome,
  type WorktreePlan,
} from "./worktree-git.ts";

export { WorktreeError };

export interface AgentWorktreeOptions {
  plan: WorktreePlan;
  leases: Pick<LeaseClient, "acquire" | "release">;
  agentId: string;
  instanceId: string;
  log: Logger;
}

/** The runner's worktree part, leasing through the runner's relay client. */
export function agentWorktree(
  plan: WorktreePlan,
  http: Pick<RelayHttpClient, "call">,
  o: Omit<AgentWorktreeOptions, "plan" | "leases">,
): AgentWorktree {
  return new AgentWorktree({ ...o, plan, leases: new LeaseClient(http) });
}

type State = "idle" | "leased" | "open" | "closed";

export class AgentWorktree {
  private state: State = "idle";
  private lease: Lease | undefined;
  private outcome: WorktreeOutcome | undefined;

  constructor(private readonly o: AgentWorktreeOptions) {}

  /** The worktree's top folder: "the workspace" for whatever reports on the agent's work (task outcomes). */
  get path(): string {
    return this.o.plan.path;
  }

  /** Lease, then make or reuse the worktree. Throws WorktreeError; nothing is left leased when it throws. */
  async open(signal?: AbortSignal): Promise<void> {
    if (this.state !== "idle") throw new Error(`worktree already ${this.state}`);
    const { plan, agentId, instanceId } = this.o;
    try {
      this.lease = await this.o.leases.acquire(
        { key: plan.path, agentId, instanceId, meta: { branch: plan.branch, repo: plan.repoRoot } },
        { signal },
      );
    } catch (e) {
      throw leaseError(plan.path, e);
    }
    this.state = "leased";
    try {
      const { reused } = ensureWorktree(plan);
      this.o.log.info({ path: plan.path, branch: plan.branch, reused }, "worktree ready");
    } catch (e) {
      await this.releaseLease();
      this.state = "closed";
      throw new WorktreeError("WORKTREE_FAILED", errorMessage(e), { cause: e });
    }
    this.state = "open";
  }

  /**
   * After the provider stopped: remove the worktree when clean, keep it when it holds uncommitted work, and
   * release the lease either way (the next runner of this agent takes the kept worktree back).
   */
  async close(): Promise<WorktreeOutcome | undefined> {
    const was = this.state;
    this.state = "closed";
    if (was === "leased") await this.releaseLease();
    if (was !== "open") return undefined;
    const { plan, log } = this.o;
    try {
      this.outcome = finishWorktree(plan);
    } catch (e) {
      this.outcome = {
        state: "kept",
        path: plan.path,
        branch: plan.branch,
        reason: errorMessage(e),
        changedFiles: 0,
      };
    }
    const out = this.outcome;
    if (out.state === "kept")
      log.warn({ worktree: out }, `worktree kept: ${out.reason} (${out.changedFiles} files) in ${out.path}`);
    else
      log.info(
        { worktree: out },
        `worktree removed${out.branchKept ? `; branch ${out.branch} kept (${out.commits} commits of its own)` : ""}`,
      );
    await this.releaseLease();
    return out;
  }

  /** What the agent's status meta says about its worktree. */
  meta(): Record<string, unknown> {
    const { path, branch } = this.o.plan;
    return this.outcome ?? { state: this.state === "open" ? "active" : this.state, path, branch };
  }

  private async releaseLease(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    if (!lease) return;
    try {
      await this.o.leases.release(lease.id, this.o.instanceId);
    } catch (e) {
      // It expires on its own (the relay stops renewing it once this runner's session is gone).
      this.o.log.warn({ err: errorMessage(e), lease: lease.id }, "could not release the worktree lease");
    }
  }
}

function leaseError(path: string, e: unknown): WorktreeError {
  if (e instanceof HttpError && e.status === 409)
    return new WorktreeError("LEASE_HELD", `worktree ${path}: ${e.relayMessage}`, { cause: e });
  return new WorktreeError("WORKTREE_FAILED", `worktree ${path}: could not lease it: ${errorMessage(e)}`, {
    cause: e,
  });
}
