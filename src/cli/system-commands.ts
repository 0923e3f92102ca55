// `agents`, `permissions`, `approve|deny` and `stop|compact|clear`: see and steer the system from a shell.
import type { Command as Cli } from "commander";
import { z } from "zod";
import { type Agent, AgentId, type PermissionDecision } from "../protocol/index.ts";
import { isRelayClientError } from "../relay-client/errors.ts";
import { agentFacts, contextCell, duration, formatTable } from "../supervisor/status-view.ts";
import { isProcessRunning } from "../util/processes.ts";
import { clientCommand } from "./client-command.ts";
import { type ActionContext, parseOption, UsageError } from "./client-context.ts";
import { oneLine, printJson, printLine } from "./client-format.ts";
import { readLiveAgent } from "./local-agent.ts";
import { DurationMsArg } from "./option-schemas.ts";
import { issueCommand } from "./task-commands.ts";
import { waitUntil } from "./team-io.ts";

/**
 * The shortcuts people type most, and the command each sends. `restart <agent>` is the supervisor's (it restarts
 * a team agent's runner); `command --target A --type agent.restart` restarts the program of any agent.
 */
const SHORTCUTS = {
  stop: ["agent.shutdown", "stop the agent and its runner"],
  compact: ["agent.compact", "compact the agent's context"],
  clear: ["agent.clearContext", "clear the agent's context"],
} as const;

const WAIT_DEFAULT_MS = "120000";

/** A pending permission request as the runner reports it in its agent's meta (`pendingPermissions`). */
const PendingPermission = z.object({ approvalId: z.string(), tool: z.string(), detail: z.string() });
interface PermissionRow {
  agentId: string;
  approvalId: string;
  tool: string;
  detail: string;
}

export interface WaitOptions {
  wait: boolean;
  timeout: string;
  json?: boolean;
}

export function registerSystemCommands(program: Cli): void {
  clientCommand(program, "agents", {
    description: "list registered agents: status (with the reason for needs-input/error), task, last seen",
    json: "the agents",
    run: listAgents,
  });
  clientCommand(program, "permissions", {
    description: "list pending permission requests across agents (approve or deny them by id)",
    json: "the requests",
    run: listPermissions,
  });
  for (const verb of ["approve", "deny"] as const) {
    clientCommand(program, verb, {
      description: `${verb} a pending permission request (ids from \`permissions\`)`,
      args: [["<id>", "the request's approval id"]],
      options: (cmd) => {
        cmd.option("--agent <id>", "the agent that asked (needed only when several hold the id)");
        if (verb === "approve") cmd.option("--session", "approve for the rest of the session");
        return waitOptions(cmd);
      },
      json: "the command",
      run: (ctx, id: string, o: WaitOptions & { agent?: string; session?: boolean }) =>
        decide(ctx, verb, id, o),
    });
  }

  for (const [name, [type, description]] of Object.entries(SHORTCUTS)) {
    clientCommand(program, name, {
      description: `${description} (sends ${type} and waits for the outcome)`,
      args: [["<agent>", "agent or runner id"]],
      options: waitOptions,
      json: "the command",
      run: async (ctx: ActionContext, agentArg: string, o: WaitOptions) => {
        const target = parseOption(AgentId, agentArg, "<agent>");
        // Read before: a runner that stops removes its record.
        const local = type === "agent.shutdown" ? readLiveAgent(target) : undefined;
        try {
          await issueCommand(ctx, { target, type, params: {} }, waitFlags(o));
        } catch (e) {
          if (!local || !isRelayClientError(e, "RELAY_UNAVAILABLE") || !(await gone(local.pid))) throw e;
          // The runner hosted the embedded relay: the relay went with it, after the command reached it.
          printLine(`stopped ${target} (runner pid ${local.pid}); the embedded relay it ran stopped with it`);
        }
      },
    });
  }
}

/** Whether `pid` ends within the runner's stop budget (provider 10 s + 5 s, relay steps). */
async function gone(pid: number): Promise<boolean> {
  return (await waitUntil(() => !isProcessRunning(pid), 20_000)) === true;
}

/** `--no-wait` and `--timeout`: how long a command that sends a runner command waits for its outcome. */
export function waitOptions(cmd: Cli): Cli {
  return cmd
    .option("--no-wait", "print the command id at once instead of waiting for the outcome")
    .option("--timeout <ms>", "give up waiting after this long", WAIT_DEFAULT_MS);
}

export function waitFlags(o: WaitOptions): { wait: boolean; timeoutMs: number; json: boolean } {
  return {
    wait: o.wait,
    timeoutMs: parseOption(DurationMsArg, o.timeout, "--timeout"),
    json: o.json === true,
  };
}

async function listAgents(ctx: ActionContext, o: { json?: boolean }): Promise<void> {
  const agents = await ctx.client.listAgents();
  const now = Date.now();
  const rows = agents.map((a) => ({
    id: a.id,
    label: a.label,
    ...agentFacts(a),
    ready: a.ready,
    pendingPermissions: pendingOf(a).length,
    lastSeenAt: a.lastHeartbeatAt,
  }));
  if (o.json) return printJson(rows);
  if (rows.length === 0) return printLine("no registered agents");
  const head = ["AGENT", "LABEL", "PROVIDER", "STATUS", "TASK", "CONTEXT", "LAST SEEN", "REASON"];
  const body = rows.map((r) => [
    r.id,
    r.label ?? "-",
    oneLine(r.provider ?? "-", 40),
    oneLine(r.status, 40),
    r.task === undefined ? "-" : oneLine(String(r.task), 40),
    contextCell(r.contextUsage),
    `${duration(now - r.lastSeenAt)} ago`,
    oneLine(r.reason ?? "", 200),
  ]);
  printLine(formatTable(head, body));
}

function pendingOf(a: Agent): z.infer<typeof PendingPermission>[] {
  const list = a.meta.pendingPermissions;
  if (!Array.isArray(list)) return [];
  return list.flatMap((p) => {
    const r = PendingPermission.safeParse(p);
    return r.success ? [r.data] : [];
  });
}

async function pendingPermissions(ctx: ActionContext): Promise<PermissionRow[]> {
  const agents = await ctx.client.listAgents();
  return agents.flatMap((a) => pendingOf(a).map((p) => ({ agentId: a.id, ...p })));
}

async function listPermissions(ctx: ActionContext, o: { json?: boolean }): Promise<void> {
  const rows = await pendingPermissions(ctx);
  if (o.json) return printJson(rows);
  if (rows.length === 0) return printLine("no pending permission requests");
  printLine(
    formatTable(
      ["ID", "AGENT", "TOOL", "REQUEST"],
      rows.map((r) => [oneLine(r.approvalId, 80), r.agentId, oneLine(r.tool, 40), oneLine(r.detail, 200)]),
    ),
  );
}

async function decide(
  ctx: ActionContext,
  verb: "approve" | "deny",
  idArg: string,
  o: WaitOptions & { agent?: string; session?: boolean },
): Promise<void> {
  if (idArg.length === 0 || idArg.length > 200) throw new UsageError("<id>: must be 1-200 characters");
  const agentFlag = o.agent === undefined ? undefined : parseOption(AgentId, o.agent, "--agent");
  const holders = (await pendingPermissions(ctx))
    .filter((p) => p.approvalId === idArg && (agentFlag === undefined || p.agentId === agentFlag))
    .map((p) => p.agentId);
  if (holders.length === 0) {
    throw new Error(
      `no pending permission request '${idArg}'${agentFlag ? ` for '${agentFlag}'` : ""} (see agent-relay-runner permissions)`,
    );
  }
  if (holders.length > 1) {
    throw new UsageError(`'${idArg}' is pending for several agents (${holders.join(", ")}): pass --agent`);
  }
  const decision: PermissionDecision = verb === "deny" ? "deny" : o.session ? "approve-session" : "approve";
  await issueCommand(
    ctx,
    { target: holders[0]!, type: "agent.permissionDecision", params: { approvalId: idArg, decision } },
    waitFlags(o),
  );
}
