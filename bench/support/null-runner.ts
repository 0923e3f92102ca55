// A real AgentRunner wired to the NullAdapter: used in-process by benches and the chaos suite, and by runner-process.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { parseRunnerConfig } from "../../src/config/index.ts";
import type { ControlServerOptions } from "../../src/control/index.ts";
import type { ProviderAdapter } from "../../src/providers/adapter.ts";
import { AgentRunner, type RUNNER_TIMERS } from "../../src/runner/agent-runner.ts";
import { Credentials } from "../../src/runner/credentials.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { NullAdapter } from "./null-adapter.ts";

export interface NullRunnerOptions {
  /** One relay, or several in failover order. */
  relayUrl: string | readonly string[];
  token: string;
  agentId: string;
  tags?: string[];
  logger?: Logger;
  timers?: Partial<Record<keyof typeof RUNNER_TIMERS, number>>;
  /** Don't call start(). */
  noStart?: boolean;
  connectTimeoutMs?: number;
  control?: ControlServerOptions;
  /** More runner flags (before the `--`), e.g. a budget. */
  extraArgs?: string[];
}

export interface RunnerHandle<A extends ProviderAdapter> {
  runner: AgentRunner;
  adapter: A;
  dir: string;
  stop(): Promise<void>;
}

export type NullRunner = RunnerHandle<NullAdapter>;

export function startNullRunner(o: NullRunnerOptions): Promise<NullRunner> {
  return startRunnerWith(new NullAdapter(), o);
}

/** A real runner around any adapter (the terminal bench uses the command provider). */
export async function startRunnerWith<A extends ProviderAdapter>(
  adapter: A,
  o: NullRunnerOptions,
): Promise<RunnerHandle<A>> {
  const dir = mkdtempSync(join(tmpdir(), "relay-null-runner-"));
  const argv = [
    "--provider",
    "command",
    "--agent-id",
    o.agentId,
    "--runner-id",
    `runner-${o.agentId}`,
    "--cwd",
    dir,
    "--headless",
    ...(o.tags ?? []).flatMap((t) => ["--tag", t]),
    ...(o.extraArgs ?? []),
    "--",
    "true",
  ];
  const config = parseRunnerConfig(argv, {}, { providerDefaultTags: () => [] });
  const runner = new AgentRunner({
    config,
    adapter,
    relayUrl: o.relayUrl,
    credentials: Credentials.from(o.token, {}, o.agentId),
    logger: o.logger ?? silentLogger(),
    cacheDir: join(dir, "cache"),
    timers: o.timers,
    connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
    control: o.control,
  });
  let stopped: Promise<void> | undefined;
  const handle: RunnerHandle<A> = {
    runner,
    adapter,
    dir,
    stop: () => {
      stopped ??= (async () => {
        try {
          if (runner.state !== "created") {
            await Promise.race([
              runner.stop({ reason: "done", graceful: false }),
              new Promise((r) => setTimeout(r, 10_000)),
            ]);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      })();
      return stopped;
    },
  };
  if (!o.noStart) await runner.start();
  return handle;
}
