// Test helper: a real AgentRunner in-process (command provider running the echo-agent fixture in a private tmux
// server, real relay clients against a test relay), plus the real runner CLI as a child process.
//
//   afterEach(stopTestRunners);                        // always: stops runners, kills their tmux servers
//   const r = await startTestRunner({ relay, agentId: "a1", label: "alpha" });
//   await waitFor(() => r.messageIds().includes(id));  // ids parsed from what the fixture received

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pino from "pino";
import { parseRunnerConfig } from "../../src/config/index.ts";
import { CommandAdapter } from "../../src/providers/command/index.ts";
import { Tmux } from "../../src/providers/tmux/index.ts";
import { AgentRunner, type RUNNER_TIMERS } from "../../src/runner/agent-runner.ts";
import { Credentials } from "../../src/runner/credentials.ts";
import type { RestartPolicyLimits } from "../../src/runner/restart-policy.ts";
import type { WorktreePlan } from "../../src/runner/worktree-git.ts";
import type { Logger } from "../../src/util/logger.ts";
import {
  type EchoAgentEvent,
  echoAgentCommand,
  readEchoRecord,
  receivedInputs,
} from "../fixtures/echo-agent-record.ts";
import type { TestRelay } from "./relay.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
export const RUNNER_BIN = join(ROOT, "bin", "agent-relay-runner");

export interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface TestRunnerOptions {
  relay: Pick<TestRelay, "url" | "mintToken">;
  agentId: string;
  label?: string;
  tags?: string[];
  capabilities?: string[];
  /** Default true: an unexpected provider exit is answered with a restart. */
  headless?: boolean;
  /** Extra environment for the echo-agent fixture (ECHO_AGENT_* knobs). */
  fixtureEnv?: Record<string, string>;
  restartLimits?: Partial<RestartPolicyLimits>;
  timers?: Partial<typeof RUNNER_TIMERS>;
  /** Runtime token lifetime for the minted token (default 3600 s). */
  tokenTtlSeconds?: number;
  /** Write the runner info file into the runner's temp folder. */
  infoFile?: boolean;
  /** More runner flags (e.g. --no-exit-on-shutdown), parsed like the CLI's. */
  extraArgs?: string[];
  /** Don't start: the caller calls runner.start() (e.g. to watch start-up). */
  noStart?: boolean;
  /** The agent's own worktree (--worktree); the provider's cwd is then its cwd. */
  worktree?: WorktreePlan;
}

export interface TestRunner {
  runner: AgentRunner;
  adapter: CommandAdapter;
  /** The fixture's JSON-lines record file. */
  recordFile: string;
  /** A private temp folder (cache, info file, record). */
  dir: string;
  tmuxSocket: string;
  infoFile: string | undefined;
  /** Every log record the runner wrote (debug and up). */
  logs: LogRecord[];
  /** Every event the fixture recorded, parsed. */
  received(): EchoAgentEvent[];
  /** Relay message ids in the inputs the fixture saw, in order, one entry per time a message arrived. */
  messageIds(): number[];
  /** How many times the fixture started (one start event per spawn). */
  starts(): Extract<EchoAgentEvent, { event: "start" }>[];
  stop(): Promise<void>;
}

const live = new Set<TestRunner>();

/** Stop every runner started by startTestRunner and kill its tmux server (for afterEach). */
export async function stopTestRunners(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.all(all.map((r) => r.stop()));
}

export function captureLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino(
    { level: "debug" },
    {
      write(line: string) {
        records.push(JSON.parse(line) as LogRecord);
      },
    },
  );
  return { logger, records };
}

const HEADER = /\[relay message #(\d+) from /g;

/** Relay message ids in delivered text, in order (a batch delivery holds several headers). */
export function idsInText(text: string): number[] {
  return [...text.matchAll(HEADER)].map((m) => Number(m[1]));
}

export async function startTestRunner(o: TestRunnerOptions): Promise<TestRunner> {
  const dir = mkdtempSync(join(tmpdir(), "relay-runner-"));
  const recordFile = join(dir, "record.jsonl");
  const tmuxSocket = `relay-test-runner-${randomBytes(4).toString("hex")}`;
  const infoFile = o.infoFile ? join(dir, "runner-info.json") : undefined;
  const argv = [
    "--provider",
    "command",
    "--agent-id",
    o.agentId,
    "--runner-id",
    `runner-${o.agentId}`,
    "--cwd",
    dir,
    ...(o.label ? ["--label", o.label] : []),
    ...(o.tags ?? []).flatMap((t) => ["--tag", t]),
    ...(o.capabilities ?? []).flatMap((c) => ["--capability", c]),
    ...((o.headless ?? true) ? ["--headless"] : []),
    ...(infoFile ? ["--runner-info-file", infoFile] : []),
    ...(o.extraArgs ?? []),
    "--",
    ...echoAgentCommand(),
  ];
  const parsed = parseRunnerConfig(argv, {}, { providerDefaultTags: () => [] });
  // As the CLI does: the provider starts in the worktree, made once the lease is held.
  const config = o.worktree ? { ...parsed, cwd: o.worktree.cwd, worktree: true } : parsed;
  const { logger, records } = captureLogger();
  const adapter = new CommandAdapter({
    command: echoAgentCommand(),
    tmuxSocket,
    tmuxSession: "agent",
    env: { ECHO_AGENT_RECORD: recordFile, ECHO_AGENT_WORK_MS: "300", ...o.fixtureEnv },
    readyPattern: /ready> $/,
    quietMs: 300,
    spawnDeadlineMs: 10_000,
    enterDelayMs: 50,
    activePollMs: 50,
    idlePollMs: 100,
    logger,
  });
  const token = await o.relay.mintToken(o.agentId, "provider-agent", o.tokenTtlSeconds ?? 3600);
  const runner = new AgentRunner({
    config,
    adapter,
    relayUrl: o.relay.url,
    credentials: Credentials.from(token, {}, o.agentId),
    logger,
    cacheDir: join(dir, "cache"),
    timers: o.timers,
    restartLimits: o.restartLimits,
    connectTimeoutMs: 10_000,
    worktree: o.worktree,
  });
  let stopped: Promise<void> | undefined;
  const t: TestRunner = {
    runner,
    adapter,
    recordFile,
    dir,
    tmuxSocket,
    infoFile,
    logs: records,
    received: () => readEchoRecord(recordFile),
    messageIds: () => receivedInputs(recordFile).flatMap((i) => idsInText(i.text)),
    starts: () =>
      readEchoRecord(recordFile).filter(
        (e): e is Extract<EchoAgentEvent, { event: "start" }> => e.event === "start",
      ),
    stop: () => {
      stopped ??= (async () => {
        live.delete(t);
        try {
          if (runner.state !== "created") {
            await Promise.race([
              runner.stop({ reason: "test over", graceful: false }),
              new Promise((r) => setTimeout(r, 10_000)),
            ]);
          }
        } finally {
          // Whatever happened above, no tmux server or fixture may outlive the test.
          await new Tmux(tmuxSocket).killServer().catch(() => {});
          rmSync(dir, { recursive: true, force: true });
        }
      })();
      return stopped;
    },
  };
  live.add(t);
  if (!o.noStart) await runner.start();
  return t;
}

export interface RunnerProcess {
  proc: ReturnType<typeof Bun.spawn>;
  /** Everything written to stderr so far. */
  stderr(): string;
  exited: Promise<number>;
  /** SIGKILL if still running; wait for the exit. */
  kill(): Promise<void>;
}

/** The real `agent-relay-runner` launcher as a child process, with only PATH, HOME and the given variables. */
export function spawnRunnerCli(args: string[], env: Record<string, string>): RunnerProcess {
  const proc = Bun.spawn([RUNNER_BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  let err = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>)
      err += decoder.decode(chunk, { stream: true });
  })();
  return {
    proc,
    stderr: () => err,
    exited: proc.exited,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}
