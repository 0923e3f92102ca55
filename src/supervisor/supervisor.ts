// The set of runners a team file declares: apply a plan (start new, stop removed, restart changed, leave the
// rest), stop some or all, restart one, and list them. Operations run one at a time, in order.
import { RunnerSlot, type SlotDeps, type SlotInfo } from "./runner-slot.ts";
import type { AgentPlan, TeamPlan } from "./team-plan.ts";

/** How long a runner gets to stop gracefully (SIGTERM) before SIGKILL: longer than its own 10 s provider stop. */
export const DEFAULT_STOP_DEADLINE_MS = 15_000;

export interface ApplyResult {
  started: string[];
  stopped: string[];
  restarted: string[];
  unchanged: string[];
}

export class Supervisor {
  private readonly slots = new Map<string, RunnerSlot>();
  /** Agents added at run time (supervisor.spawn): a re-applied team file leaves them alone. */
  private readonly spawned = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The team file of the last plan applied. */
  teamFile?: string;

  constructor(
    private readonly deps: SlotDeps,
    private readonly stopDeadlineMs = DEFAULT_STOP_DEADLINE_MS,
  ) {}

  /** Run `op` after every operation queued before it. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => {});
    return next;
  }

  apply(plan: TeamPlan): Promise<ApplyResult> {
    return this.serial(async () => {
      this.teamFile = plan.file;
      const result: ApplyResult = { started: [], stopped: [], restarted: [], unchanged: [] };
      const wanted = new Map(plan.agents.map((a) => [a.id, a]));
      const stops: Promise<void>[] = [];
      for (const [id, slot] of this.slots) {
        if (wanted.has(id) || this.spawned.has(id)) continue;
        this.slots.delete(id);
        result.stopped.push(id);
        stops.push(slot.stop(this.stopDeadlineMs));
      }
      for (const agent of plan.agents) {
        this.spawned.delete(agent.id);
        const slot = this.slots.get(agent.id);
        if (!slot) {
          this.start(new RunnerSlot(agent, this.deps));
          result.started.push(agent.id);
        } else if (slot.plan.fingerprint === agent.fingerprint) {
          result.unchanged.push(agent.id);
        } else {
          result.restarted.push(agent.id);
          stops.push(
            slot.stop(this.stopDeadlineMs).then(() => {
              this.start(new RunnerSlot(agent, this.deps, slot.restarts + 1));
            }),
          );
        }
      }
      await Promise.all(stops);
      return result;
    });
  }

  /**
   * Add agents at run time; refused (nothing started) when an id is taken or the team would exceed `maxAgents`.
   * Answers the error, or undefined when they are starting.
   */
  spawn(plans: readonly AgentPlan[], maxAgents: number): Promise<string | undefined> {
    return this.serial(async () => {
      const taken = plans.find((p) => this.slots.has(p.id));
      if (taken) return `agent '${taken.id}' is already in the team`;
      if (this.slots.size + plans.length > maxAgents) return `the team is at its max_agents (${maxAgents})`;
      for (const p of plans) {
        this.spawned.add(p.id);
        this.start(new RunnerSlot(p, this.deps));
      }
      return undefined;
    });
  }

  isSpawned(agentId: string): boolean {
    return this.spawned.has(agentId);
  }

  has(agentId: string): boolean {
    return this.slots.has(agentId);
  }

  private start(slot: RunnerSlot): void {
    this.slots.set(slot.plan.id, slot);
    slot.start();
  }

  /** Stop the named agents (all when none are named); stopped agents leave the set. Answers the unknown names. */
  stop(agentIds?: readonly string[]): Promise<{ stopped: string[]; unknown: string[] }> {
    return this.serial(async () => {
      const ids = agentIds?.length ? [...agentIds] : [...this.slots.keys()];
      const unknown = ids.filter((id) => !this.slots.has(id));
      const stopped = ids.filter((id) => this.slots.has(id));
      await Promise.all(
        stopped.map((id) => {
          const slot = this.slots.get(id)!;
          this.slots.delete(id);
          this.spawned.delete(id);
          return slot.stop(this.stopDeadlineMs);
        }),
      );
      return { stopped, unknown };
    });
  }

  /** Stop and start one agent's runner again (whatever its state); false when it is not in the set. */
  restart(agentId: string): Promise<boolean> {
    return this.serial(async () => {
      const slot = this.slots.get(agentId);
      if (!slot) return false;
      await slot.stop(this.stopDeadlineMs);
      this.start(new RunnerSlot(slot.plan, this.deps, slot.restarts + 1));
      return true;
    });
  }

  list(): SlotInfo[] {
    return [...this.slots.values()].map((s) => s.info()).sort((a, b) => a.agentId.localeCompare(b.agentId));
  }

  get size(): number {
    return this.slots.size;
  }
}
