// supervisor.spawn | supervisor.stop | supervisor.restart: change the running team at run time. Root may do
// anything; an operator (a person, e.g. from the fleet view) may stop and restart any team agent; an agent the team
// file lists in [supervisor] allow_spawn may spawn agents (within max_agents) and stop or restart the ones spawned at
// run time; anyone else is refused with 403.
import { z } from "zod";
import type { Supervisor } from "./supervisor.ts";
import { isTeamFileError } from "./team-file.ts";
import { planTeam, type TeamPlan } from "./team-plan.ts";
import { TeamAgent, TeamAgentId } from "./team-schema.ts";

export const SUPERVISOR_COMMANDS = ["supervisor.spawn", "supervisor.stop", "supervisor.restart"] as const;

/** supervisor.spawn params: one `[agents.<id>]` table of the team file, plus its id. */
export const SpawnParams = TeamAgent.extend({ id: TeamAgentId });
/** supervisor.stop / supervisor.restart params. */
export const AgentParams = z.strictObject({ agentId: TeamAgentId });

/** Who sent the command, as the relay authenticated it. */
export type CommandSender =
  | { kind: "root" }
  | { kind: "operator"; name: string }
  | { kind: "agent"; agentId: string };

export type CommandOutcome =
  | { ok: true; result: Record<string, unknown> }
  | { ok: false; status: 400 | 403 | 404 | 409; error: string };

/** One line naming the command and the param that is wrong. */
function paramIssue(type: string, issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys")
    return `${type}: unknown param ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
  const path = issue.path.map(String).join(".");
  const message =
    issue.code === "invalid_type" && /received undefined/.test(issue.message) ? "required" : issue.message;
  return `${type}: params${path ? `.${path}` : ""}: ${message}`;
}

const refuse = (status: 400 | 403 | 404 | 409, error: string): CommandOutcome => ({
  ok: false,
  status,
  error,
});

export class SupervisorCommands {
  constructor(
    private readonly supervisor: Supervisor,
    /** The team plan in force (its policy, defaults and profiles). */
    private readonly current: () => TeamPlan,
  ) {}

  async handle(type: string, params: unknown, sender: CommandSender): Promise<CommandOutcome> {
    if (!(SUPERVISOR_COMMANDS as readonly string[]).includes(type)) {
      return refuse(400, `unknown command '${type}'; expected one of ${SUPERVISOR_COMMANDS.join("|")}`);
    }
    const plan = this.current();
    const root = sender.kind === "root";
    // A person may stop and restart the team's agents, not add programs to run.
    const operator = sender.kind === "operator" && type !== "supervisor.spawn";
    if (sender.kind === "operator" && !operator) {
      return refuse(403, `operator '${sender.name}' may stop and restart team agents, not send ${type}`);
    }
    if (sender.kind === "agent" && !plan.policy.allowSpawn.includes(sender.agentId)) {
      return refuse(403, `agent '${sender.agentId}' may not send ${type} (not in [supervisor] allow_spawn)`);
    }
    if (type === "supervisor.spawn") return this.spawn(params, plan);
    const parsed = AgentParams.safeParse(params);
    if (!parsed.success) return refuse(400, paramIssue(type, parsed.error.issues[0]!));
    const { agentId } = parsed.data;
    if (!this.supervisor.has(agentId)) return refuse(404, `no agent '${agentId}' in the team`);
    if (!root && !operator && !this.supervisor.isSpawned(agentId)) {
      return refuse(
        403,
        `agent '${agentId}' is declared in the team file; only root or an operator may ${type.slice(11)} it`,
      );
    }
    if (type === "supervisor.stop") {
      await this.supervisor.stop([agentId]);
      return { ok: true, result: { stopped: [agentId] } };
    }
    await this.supervisor.restart(agentId);
    return { ok: true, result: { restarted: [agentId] } };
  }

  private async spawn(params: unknown, plan: TeamPlan): Promise<CommandOutcome> {
    const parsed = SpawnParams.safeParse(params);
    if (!parsed.success) return refuse(400, paramIssue("supervisor.spawn", parsed.error.issues[0]!));
    const { id, ...agent } = parsed.data;
    let agents: TeamPlan["agents"];
    try {
      // Planned like a table of the team file, so [defaults] and [profiles] apply to it too.
      agents = planTeam({ ...plan.team, agents: { [id]: agent } }, plan.file, "supervisor.spawn").agents;
    } catch (e) {
      if (isTeamFileError(e)) return refuse(400, e.message);
      throw e;
    }
    const error = await this.supervisor.spawn(agents, plan.policy.maxAgents);
    if (error) return refuse(409, error);
    return { ok: true, result: { spawned: agents.map((a) => a.id) } };
  }
}
