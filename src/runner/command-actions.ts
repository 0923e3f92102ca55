// What each relay command type does to this runner: one zod table (type → params), parsed once before dispatch.
import { z } from "zod";
import { type Command, describeIssues, PermissionDecision } from "../protocol/index.ts";
import type { ProviderAdapter } from "../providers/adapter.ts";
import { RunnerError } from "../util/errors.ts";
import type { CommandHandlerFn } from "./command-runner.ts";
import type { ProviderSupervisor } from "./provider-supervisor.ts";

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
export const MAX_SHUTDOWN_TIMEOUT_MS = 60_000;

const NoParams = z.object({}).passthrough();
const ShutdownParams = z.object({ timeoutMs: z.number().int().min(0).optional() });

/** Every command type the runner runs, and the params it takes. A type missing here is unsupported. */
export const COMMAND_PARAMS = {
  "agent.shutdown": ShutdownParams,
  "agent.kill": NoParams,
  "agent.restart": ShutdownParams,
  "agent.reconnect": NoParams,
  "agent.compact": NoParams,
  "agent.clearContext": NoParams,
  "agent.injectContext": z.object({
    content: z.string().min(1),
    memoryIds: z.array(z.union([z.string(), z.number()])).optional(),
    reason: z.string().optional(),
  }),
  "agent.permissionDecision": z.object({ approvalId: z.string().min(1), decision: PermissionDecision }),
} as const;
export type RunnerCommandType = keyof typeof COMMAND_PARAMS;
export type CommandParams<T extends RunnerCommandType> = z.infer<(typeof COMMAND_PARAMS)[T]>;
/** An action gets its command's params already parsed. */
export type CommandAction<T extends RunnerCommandType> = (
  params: CommandParams<T>,
  signal: AbortSignal,
  command: Command,
) => Promise<unknown>;
export type CommandActions = { [T in RunnerCommandType]: CommandAction<T> };

/** Parse a command's params by its type; throws CONFIG_INVALID naming the type and the bad fields. */
export function parseCommandParams<T extends RunnerCommandType>(type: T, params: unknown): CommandParams<T> {
  const r = COMMAND_PARAMS[type].safeParse(params);
  if (!r.success)
    throw new RunnerError("CONFIG_INVALID", `${type}: invalid params: ${describeIssues(r.error.issues)}`);
  return r.data as CommandParams<T>;
}

/** The shutdown and restart budget: 10 s unless given, capped at 60 s. */
export function shutdownTimeout(params: CommandParams<"agent.shutdown">): number {
  return Math.min(params.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS, MAX_SHUTDOWN_TIMEOUT_MS);
}

/** The command runner's handler table: each parses its params at this boundary, then runs its typed action. */
export function commandHandlers(actions: Partial<CommandActions>): Record<string, CommandHandlerFn> {
  const table: Record<string, CommandHandlerFn> = {};
  for (const type of Object.keys(COMMAND_PARAMS) as RunnerCommandType[]) {
    const action = actions[type] as CommandAction<typeof type> | undefined;
    if (action)
      table[type] = (command, signal) => action(parseCommandParams(type, command.params), signal, command);
  }
  return table;
}

export interface RunnerControls {
  adapter: ProviderAdapter;
  supervisor: ProviderSupervisor;
  publish(lifecycleAction: string): void;
  reconnectTransport(reason: string): void;
  /** Turns and subagents of the old session are over. */
  clearProviderWork(): void;
  /**
   * Before a graceful stop: hold new deliveries and wait (at most `ms`) until the provider finished the turn of the
   * last message it was given, so a restart never cuts off input the program had not taken in yet.
   */
  quiesce(ms: number): Promise<void>;
  /** Deliveries may flow again (after a restart). */
  release(): void;
  /** Answer a permission request waiting in the control server or in the provider. */
  resolvePermission(approvalId: string, decision: PermissionDecision): Promise<boolean>;
  /** Deliver text as a plain message when the provider has no system-note channel. */
  deliverNote(content: string, signal: AbortSignal): Promise<void>;
}

/** The runner's actions for every command type. */
export function runnerActions(c: RunnerControls): CommandActions {
  const notSupported = (what: string) =>
    new RunnerError("NOT_SUPPORTED", `the ${c.adapter.name} provider cannot ${what}`);
  return {
    // The runner itself exits after the command is reported (see the runner's command end handling).
    "agent.shutdown": async (params) => {
      const timeoutMs = shutdownTimeout(params);
      c.publish("shutdown");
      await c.quiesce(timeoutMs / 2);
      await c.supervisor.stop({ graceful: true, timeoutMs: timeoutMs / 2 });
      return { stopped: true, graceful: true };
    },
    "agent.kill": async () => {
      c.publish("kill");
      await c.supervisor.stop({ graceful: false, timeoutMs: 2_000 });
      return { stopped: true, graceful: false };
    },
    "agent.restart": async (params) => {
      const timeoutMs = shutdownTimeout(params);
      c.publish("restart");
      try {
        await c.quiesce(timeoutMs / 2);
        c.clearProviderWork();
        await c.supervisor.restart(timeoutMs / 2);
      } finally {
        c.release();
      }
      return { providerSessionId: c.supervisor.providerSessionId };
    },
    "agent.reconnect": async () => {
      c.publish("reconnect");
      c.reconnectTransport("agent.reconnect command");
      return { reconnected: true };
    },
    "agent.compact": async (_params, signal) => {
      if (!c.adapter.compact) throw notSupported("compact its context");
      await c.adapter.compact(signal);
      return { compacted: true };
    },
    "agent.clearContext": async (_params, signal) => {
      if (!c.adapter.clearContext) throw notSupported("clear its context");
      await c.adapter.clearContext(signal);
      return { cleared: true };
    },
    "agent.injectContext": async (p, signal) => {
      if (c.adapter.injectContext) await c.adapter.injectContext(p.content, signal);
      else await c.deliverNote(p.content, signal);
      return { injected: true, memoryCount: p.memoryIds?.length ?? 0 };
    },
    "agent.permissionDecision": async (p) => {
      if (!(await c.resolvePermission(p.approvalId, p.decision))) {
        throw new RunnerError("NOT_SUPPORTED", `no pending permission request with id "${p.approvalId}"`);
      }
      return { approvalId: p.approvalId, decision: p.decision };
    },
  };
}
