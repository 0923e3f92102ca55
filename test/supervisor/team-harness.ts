// Test helper: a private HOME with a team file of echo-agent `command` agents, the real CLI (`up`, `ps`, `down`, …)
// as child processes, and a cleanup that leaves no supervisor, runner or tmux server behind.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tmuxSocketFor } from "../../src/supervisor/runner-slot.ts";
import type { AgentRow } from "../../src/supervisor/status-view.ts";
import { echoAgentCommand, receivedInputs } from "../fixtures/echo-agent-record.ts";
import type { TestRelay } from "../support/relay.ts";
import { RUNNER_BIN } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AgentEntry {
  id: string;
  /** Extra TOML lines for the agent's table. */
  extra?: string[];
}

export class TeamSandbox {
  readonly dir = mkdtempSync(join(tmpdir(), "relay-team-"));
  readonly teamFile = join(this.dir, "team.toml");
  private readonly pids = new Set<number>();

  constructor(readonly relay: TestRelay) {}

  /** The env every CLI call gets: a private HOME and TMUX_TMPDIR, the operator's (root) token. */
  env(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: this.dir,
      TMUX_TMPDIR: this.dir,
      AGENT_RELAY_TOKEN: this.relay.rootToken,
      AGENT_RELAY_LOG_LEVEL: "info",
    };
  }

  record(agentId: string): string {
    return join(this.dir, `${agentId}.jsonl`);
  }

  /** Write team.toml: the test relay, echo-agent defaults, one table per agent (its record file in env), then `tail` lines. */
  writeTeam(agents: AgentEntry[], tail: string[] = []): void {
    const q = (s: string) => JSON.stringify(s);
    const lines = [
      "[relay]",
      `url = ${q(this.relay.url)}`,
      "[defaults]",
      'provider = "command"',
      `command = [${echoAgentCommand().map(q).join(", ")}]`,
      `ready_pattern = ${q("ready> $")}`,
      "quiet_ms = 300",
      ...agents.flatMap((a) => [
        `[agents.${a.id}]`,
        ...(a.extra ?? []),
        `[agents.${a.id}.env]`,
        `ECHO_AGENT_RECORD = ${q(this.record(a.id))}`,
      ]),
      ...tail,
    ];
    writeFileSync(this.teamFile, `${lines.join("\n")}\n`);
  }

  cli(...args: string[]): Promise<CliResult> {
    return this.cliWith({}, ...args);
  }

  /** The CLI with some variables of env() replaced (e.g. an agent's runtime token as AGENT_RELAY_TOKEN). */
  async cliWith(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
    const proc = Bun.spawn([RUNNER_BIN, ...args], {
      cwd: this.dir,
      env: { ...this.env(), ...env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout, stderr };
  }

  async ps(): Promise<AgentRow[]> {
    const r = await this.cli("ps", "--json");
    if (r.code !== 0) throw new Error(`ps failed: ${r.stderr}`);
    const rows = JSON.parse(r.stdout) as AgentRow[];
    for (const row of rows) if (row.pid) this.pids.add(row.pid);
    return rows;
  }

  async row(agentId: string): Promise<AgentRow | undefined> {
    return (await this.ps()).find((r) => r.agentId === agentId);
  }

  supervisorPid(): number | undefined {
    const file = join(this.dir, ".agent-relay", "supervisor", "supervisor.pid");
    return existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : undefined;
  }

  /** The agent as the relay sees it (undefined: not registered). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read the answer loosely.
  async relayAgent(agentId: string): Promise<any> {
    const r = await this.relay.call(this.relay.rootToken, "GET", `/v1/agents/${agentId}`);
    return r.status === 200 ? r.body : undefined;
  }

  /** Registered and ready on the relay. */
  async waitReady(agentId: string, timeoutMs = 20_000): Promise<void> {
    await waitFor(async () => (await this.relayAgent(agentId))?.ready === true, {
      timeoutMs,
      what: `${agentId} registered and ready`,
    });
  }

  /** Send a message and wait until the agent's echo-agent saw it. */
  async deliver(agentId: string, body: string): Promise<void> {
    const sent = await this.relay.call(this.relay.rootToken, "POST", "/v1/messages", {
      from: "tester",
      to: agentId,
      body,
    });
    if (sent.status !== 200) throw new Error(`send failed: ${JSON.stringify(sent.body)}`);
    await waitFor(
      () => receivedInputs(this.record(agentId)).some((i) => i.text.includes(`#${sent.body.id} `)),
      {
        timeoutMs: 15_000,
        what: `message #${sent.body.id} in ${agentId}'s provider`,
      },
    );
  }

  /** tmux socket files still present for these agents. */
  tmuxSockets(agentIds: string[]): string[] {
    const dir = join(this.dir, `tmux-${process.getuid!()}`);
    if (!existsSync(dir)) return [];
    const names = new Set(agentIds.map(tmuxSocketFor));
    return readdirSync(dir).filter((f) => names.has(f));
  }

  static alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Every runner pid ps ever showed that is still alive. */
  livePids(): number[] {
    return [...this.pids].filter(TeamSandbox.alive);
  }

  /** down, then SIGKILL whatever is left and remove the sandbox. */
  async cleanup(agentIds: string[]): Promise<void> {
    const pid = this.supervisorPid();
    if (pid && TeamSandbox.alive(pid)) await this.cli("down").catch(() => {});
    if (pid && TeamSandbox.alive(pid)) process.kill(pid, "SIGKILL");
    for (const p of this.livePids()) process.kill(p, "SIGKILL");
    for (const id of agentIds) {
      Bun.spawnSync(["tmux", "-L", tmuxSocketFor(id), "kill-server"], { env: this.env() });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
