// Child processes for the benches: spawn a support script, wait for its "up" line, read RSS and CPU from /proc.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { buildDist, bundle } from "../../scripts/build.ts";

const ROOT = join(import.meta.dir, "..", "..");
export const BUN = join(ROOT, "node_modules", ".bin", "bun");
const TICKS_PER_S = 100;

export interface Child {
  proc: Subprocess<"ignore", "pipe", "inherit">;
  /** Epoch ms (fractional) just before spawn. */
  spawnedAt: number;
  /** Epoch ms the child printed once it was up. */
  up: Promise<number>;
  /** The rest of its "up" line (the runner prints its load and start() times). */
  upDetail: Promise<number[]>;
  stop(): Promise<void>;
}

export const epochNow = () => performance.timeOrigin + performance.now();

let runnerBundle: string | undefined;

/**
 * Measure the runner as it ships: bundle runner-process.ts with the CLI's build options (scripts/build.ts) for
 * spawnScript, and build dist/ for the CLI. Inside the package (node_modules/.cache), where its root is found.
 */
export async function prepareShippedRunner(): Promise<void> {
  const out = join(ROOT, "node_modules", ".cache", "bench-runner");
  await bundle(join(import.meta.dir, "runner-process.ts"), out);
  runnerBundle = join(out, "runner-process.js");
  await buildDist(ROOT);
}

export function spawnScript(
  script: "runner-process.ts" | "bare-ws-process.ts",
  env: Record<string, string>,
): Child {
  const spawnedAt = epochNow();
  const path = script === "runner-process.ts" && runnerBundle ? runnerBundle : join(import.meta.dir, script);
  const proc = Bun.spawn([BUN, path], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  const line = (async () => {
    let out = "";
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      out += decoder.decode(chunk, { stream: true });
      const m = /up ([\d. ]+)\n/.exec(out);
      if (m) return m[1]!.trim().split(" ").map(Number);
    }
    throw new Error(`${script} exited (${await proc.exited}) before it was up`);
  })();
  const up = line.then((fields) => fields[0]!);
  const upDetail = line.then((fields) => fields.slice(1));
  return {
    proc,
    spawnedAt,
    up,
    upDetail,
    stop: () => stopChild(proc),
  };
}

/** SIGTERM, then SIGKILL if it is still there after 5 s. */
async function stopChild(proc: Subprocess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const t = setTimeout(() => proc.kill("SIGKILL"), 5_000);
  await proc.exited;
  clearTimeout(t);
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU time used so far (user + system), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the ")" of the command name; utime and stime are fields 14 and 15 of the whole line.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_S;
}

/**
 * The real `agent-relay-runner` CLI running a `command` agent (`sleep`) against `relayUrl`: what a person starts, with
 * its tmux server. Up once it says "is up" on stderr; `up` is the epoch ms it was seen.
 */
export function spawnCliRunner(relayUrl: string, token: string, agentId: string, home: string) {
  const spawnedAt = epochNow();
  const argv = ["--provider", "command", "--relay-url", relayUrl, "--headless", "--agent-id", agentId];
  const proc = Bun.spawn(
    [join(ROOT, "bin", "agent-relay-runner"), ...argv, "--cwd", home, "--", "sleep", "3600"],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: home,
        AGENT_RELAY_TOKEN: token,
        AGENT_RELAY_LOG_LEVEL: "warn",
      },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    },
  );
  const up = (async () => {
    let err = "";
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) {
      err += decoder.decode(chunk, { stream: true });
      if (err.includes(" is up ")) return epochNow();
    }
    throw new Error(`the CLI runner exited (${await proc.exited}) before it was up: ${err}`);
  })();
  return {
    proc,
    spawnedAt,
    up,
    stop: () => stopChild(proc),
  };
}
