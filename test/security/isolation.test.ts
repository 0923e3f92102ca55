// --isolate: the provider runs under bubblewrap and cannot read the relay's secrets or reach other agents, though it
// runs as the same Unix user. The probe is the provider itself: a shell that tries, then becomes the echo agent.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bubblewrapWorks, resolveIsolation } from "../../src/providers/isolation.ts";
import { isProcessRunning } from "../../src/providers/tmux/process.ts";
import { echoAgentCommand } from "../fixtures/echo-agent-record.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { captureLogger } from "../support/runner.ts";
import { cleanupCommandClis, panePid, spawnCommandCli, tmuxAlive } from "../support/runner-cli.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
let ccSocks: string;
beforeAll(async () => {
  relay = await startTestRelay();
  // Stands for another Claude session's inbox socket folder (/tmp/cc-socks*), in the real /tmp.
  ccSocks = mkdtempSync(join(tmpdir(), "cc-socks-probe-"));
  writeFileSync(join(ccSocks, "4242.sock"), "");
});
afterAll(async () => {
  await relay.close();
  rmSync(ccSocks, { recursive: true, force: true });
});
afterEach(cleanupCommandClis);

const ROOT_IN_FILE = "root-token-in-relay-json-0123456789";

/** HOME with what an attacker would look for: relay.json, a database, another agent's home. */
function homeWithSecrets(): string {
  const home = mkdtempSync(join(tmpdir(), "relay-isolate-home-"));
  const relayDir = join(home, ".agent-relay");
  mkdirSync(join(relayDir, "agents", "other-agent"), { recursive: true });
  writeFileSync(join(relayDir, "relay.json"), JSON.stringify({ url: relay.url, rootToken: ROOT_IN_FILE }));
  writeFileSync(join(relayDir, "relay.db"), "signing secret lives here");
  writeFileSync(join(relayDir, "agents", "other-agent", "secret.txt"), "other agent's secret");
  return home;
}

/** A provider that tries each read, records what happened, then becomes the echo agent (so the runner sees ready). */
function probeCommand(out: string): string[] {
  const probes = [
    'echo "relay.json: $(cat "$HOME/.agent-relay/relay.json" 2>&1)"',
    'echo "relay.db: $(cat "$HOME/.agent-relay/relay.db" 2>&1)"',
    'echo "other agent: $(cat "$HOME/.agent-relay/agents/other-agent/secret.txt" 2>&1)"',
    'echo "agents: $(ls "$HOME/.agent-relay/agents" 2>&1 | tr "\\n" " ")"',
    'echo "runner record: $(cat "$HOME/.agent-relay/runners/isolated.json" 2>&1)"',
    `echo "cc-socks: $(ls ${ccSocks} 2>&1)"`,
    'echo "tmux sockets: $(ls "$TMUX_TMPDIR/tmux-$(id -u)" 2>&1)"',
    'echo "proc: $(ls /proc | grep -E "^[0-9]+$" | tr "\\n" " ")"',
    'echo "own home write: $(touch "$HOME/.agent-relay/agents/isolated/probe" 2>&1 && echo ok)"',
  ];
  return ["sh", "-c", `{ ${probes.join("; ")}; } > ${out} 2>&1; exec "$@"`, "probe", ...echoAgentCommand()];
}

function field(report: string, name: string): string {
  return (
    report
      .split("\n")
      .find((l) => l.startsWith(`${name}: `))
      ?.slice(name.length + 2) ?? ""
  );
}

describe("--isolate on (bubblewrap)", () => {
  test("bubblewrap works on this machine (CI installs it; without it the runner says so and --isolate on refuses)", () => {
    expect(bubblewrapWorks()).toEqual({ ok: true });
  });

  test("the provider cannot read relay.json, the database, other agents' homes, Claude sockets, tmux sockets or the runner's /proc", async () => {
    const home = homeWithSecrets();
    const out = join(home, "probe.txt");
    const c = spawnCommandCli({
      agentId: "isolated",
      relayUrl: relay.url,
      token: relay.rootToken,
      home,
      extraArgs: ["--isolate", "on"],
      command: probeCommand(out),
      env: { AGENT_RELAY_LOG_LEVEL: "info" },
    });
    await c.up();
    await waitFor(() => existsSync(out) && readFileSync(out, "utf8").includes("own home write:"), {
      what: "the probe's report",
    });
    const report = readFileSync(out, "utf8");
    expect(field(report, "relay.json")).toContain("No such file");
    expect(report).not.toContain(ROOT_IN_FILE);
    expect(field(report, "relay.db")).toContain("No such file");
    expect(field(report, "other agent")).toContain("No such file");
    expect(field(report, "agents").trim()).toBe("isolated");
    // What its runner leaves for its successor is out of its reach (it must not steer what a restart ends).
    expect(field(report, "runner record")).toContain("No such file");
    expect(existsSync(join(home, ".agent-relay", "runners", "isolated.json"))).toBe(true);
    expect(field(report, "cc-socks")).toContain("No such file");
    expect(field(report, "tmux sockets")).not.toContain(c.socket);
    const pids = field(report, "proc").trim().split(" ").map(Number);
    expect(pids.length, `processes visible: ${pids}`).toBeLessThan(10);
    expect(pids).not.toContain(c.runner.proc.pid);
    expect(field(report, "own home write")).toBe("ok");
    expect(existsSync(join(home, ".agent-relay", "agents", "isolated", "probe"))).toBe(true);
    expect(c.runner.stderr()).toContain("provider isolated with bubblewrap");

    // The sandboxed provider still works as an agent: a message reaches it.
    const sent = await relay.call(relay.rootToken, "POST", "/v1/messages", { to: "isolated", body: "hi" });
    await waitFor(() => readFileSync(c.record, "utf8").includes(`#${sent.body.id} `), {
      what: "the message in the isolated provider",
    });

    // And it stops like any provider: nothing of the sandbox is left.
    const sandbox = await panePid(c);
    c.runner.proc.kill("SIGTERM");
    expect(await c.runner.exited, c.runner.stderr()).toBe(0);
    expect(isProcessRunning(sandbox), "the bwrap sandbox outlived the runner").toBe(false);
    expect(await tmuxAlive(c)).toBe(false);
  }, 40_000);

  test("without a working bubblewrap: --isolate on refuses to start, auto runs unisolated and warns", () => {
    const { logger, records } = captureLogger();
    const missing = () => bubblewrapWorks("/nonexistent/bwrap");
    expect(missing().ok).toBe(false);
    const paths = { relayDir: "/x", agentHome: "/x/a", attachmentsDir: "/x/c", cwd: "/", env: {} };
    expect(() => resolveIsolation("on", paths, logger, missing)).toThrow(
      "--isolate on (AGENT_RELAY_ISOLATE): bwrap not found",
    );
    expect(resolveIsolation("auto", paths, logger, missing)).toBeUndefined();
    expect(records.some((r) => r.msg.includes("provider not isolated: bubblewrap is not usable here"))).toBe(
      true,
    );
  });

  test("--isolate off (the default) says in the log that the provider is not isolated", async () => {
    const c = spawnCommandCli({
      agentId: "not-isolated",
      relayUrl: relay.url,
      token: relay.rootToken,
      env: { AGENT_RELAY_LOG_LEVEL: "info" },
    });
    await c.up();
    expect(c.runner.stderr()).toContain("provider not isolated (--isolate off)");
  }, 30_000);
});

describe("programs installed under /tmp", () => {
  test("the agent's own worktree under ~/.agent-relay stays writable inside; another agent's worktree stays hidden", () => {
    const home = mkdtempSync(join(tmpdir(), "relay-isolate-wt-"));
    try {
      const relayDir = join(home, ".agent-relay");
      const own = join(relayDir, "worktrees", "app-0123", "a");
      const other = join(relayDir, "worktrees", "app-0123", "b");
      for (const d of [own, other]) mkdirSync(d, { recursive: true });
      writeFileSync(join(other, "secret.txt"), "b's work");
      const paths = {
        relayDir,
        agentHome: join(relayDir, "agents", "a"),
        attachmentsDir: join(relayDir, "cache", "attachments", "a"),
        cwd: own,
        env: {},
      };
      const iso = resolveIsolation("on", paths, captureLogger().logger)!;
      const probe = `touch ${own}/made && echo wrote; cat ${other}/secret.txt 2>&1 || true`;
      const r = Bun.spawnSync(iso.wrap(["sh", "-c", probe]), { stdout: "pipe", stderr: "pipe" });
      expect(r.stdout.toString()).toStartWith("wrote\n");
      expect(r.stdout.toString()).toContain("No such file");
      expect(existsSync(join(own, "made"))).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("the runner's own folder under /tmp (a checkout there) stays runnable inside the private /tmp, read-only", () => {
    const install = mkdtempSync(join(tmpdir(), "relay-install-"));
    const home = mkdtempSync(join(tmpdir(), "relay-isolate-prog-"));
    try {
      const program = join(install, "bin", "agent-cli");
      mkdirSync(join(install, "bin"));
      writeFileSync(
        program,
        '#!/bin/sh\necho ran from the install folder\ntouch "$0.written" 2>/dev/null || echo read-only\n',
        {
          mode: 0o755,
        },
      );
      const relayDir = join(home, ".agent-relay");
      const paths = {
        relayDir,
        agentHome: join(relayDir, "agents", "a"),
        attachmentsDir: join(relayDir, "cache", "attachments", "a"),
        cwd: home,
        env: {},
      };
      const { logger } = captureLogger();
      const without = resolveIsolation("on", paths, logger)!;
      const hidden = Bun.spawnSync(without.wrap([program]), { stdout: "pipe", stderr: "pipe" });
      expect(hidden.exitCode).not.toBe(0);
      expect(hidden.stderr.toString()).toContain("No such file");
      const kept = resolveIsolation("on", { ...paths, programDirs: [install] }, logger)!;
      const ran = Bun.spawnSync(kept.wrap([program]), { stdout: "pipe", stderr: "pipe" });
      expect(ran.exitCode).toBe(0);
      expect(ran.stdout.toString()).toBe("ran from the install folder\nread-only\n");
    } finally {
      rmSync(install, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    }
  });
});
