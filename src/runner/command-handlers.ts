// What each relay command type does to this runner; params validated with zod, results small and factual.
import { z } from "zod";
import { describeIssues, PermissionDecision } from "../protocol/index.ts";
import type { ProviderAdapter } from "../providers/adapter.ts";
import { RunnerError } from "../util/errors.ts";
import type { CommandHandlerFn } from "./command-handler.ts";
import type { ProviderSupervisor } from "./provider-supervisor.ts";

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
export const MAX_SHUTDOWN_TIMEOUT_MS = 60_000;

const ShutdownParams = z.object({ timeoutMs: z.number().int().min(0).optional() });
const InjectParams = z.object({
  content: z.string().min(1),
  memoryIds: z.array(z.union([z.string(), z.number()])).optional(),
  reason: z.string().optional(),
});
const DecisionParams = z.object({ approvalId: z.string().min(1), decision: PermissionDecision });

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

function parse<T extends z.ZodType>(schema: T, params: unknown, type: string): z.infer<T> {
  const r = schema.safeParse(params);
  if (!r.success)
    throw new RunnerError("CONFIG_INVALID", `${type}: invalid params: ${describeIssues(r.error.issues)}`);
  return r.data;
}

export function shutdownTimeout(params: unknown): number {
  const { timeoutMs } = parse(ShutdownParams, params, "agent.shutdown");
  return Math.min(timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS, MAX_SHUTDOWN_TIMEOUT_MS);
}

export function buildCommandHandlers(c: RunnerControls): Record<string, CommandHandlerFn> {
  const notSupported = (what: string) =>
    new RunnerError("NOT_SUPPORTED", `the ${c.adapter.name} provider cannot ${what}`);
  return {
    // The runner itself exits after the command is reported (see AgentRunner.onCommandEnd).
    "agent.shutdown": async (cmd) => {
      const timeoutMs = shutdownTimeout(cmd.params);
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
    "agent.restart": async (cmd) => {
      const timeoutMs = shutdownTimeout(cmd.params);
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
    "agent.compact": async (_cmd, signal) => {
      if (!c.adapter.compact) throw notSupported("compact its context");
      await c.adapter.compact(signal);
      return { compacted: true };
    },
    "agent.clearContext": async (_cmd, signal) => {
      if (!c.adapter.clearContext) throw notSupported("clear its context");
      await c.adapter.clearContext(signal);
      return { cleared: true };
    },
    "agent.injectContext": async (cmd, signal) => {
      const p = parse(InjectParams, cmd.params, cmd.type);
      if (c.adapter.injectContext) await c.adapter.injectContext(p.content, signal);
      else await c.deliverNote(p.content, signal);
      return { injected: true, memoryCount: p.memoryIds?.length ?? 0 };
    },
    "agent.permissionDecision": async (cmd) => {
      const p = parse(DecisionParams, cmd.params, cmd.type);
      if (!(await c.resolvePermission(p.approvalId, p.decision))) {
        throw new RunnerError("NOT_SUPPORTED", `no pending permission request with id "${p.approvalId}"`);
      }
      return { approvalId: p.approvalId, decision: p.decision };
    },
  };
}
