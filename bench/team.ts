// Bench 8: one supervisor holding a team of `command` agents (`up -d` of the real CLI, one runner process per agent,
// each with `sh` in its own tmux server): up of 1 and of N → all registered and ready, supervisor idle CPU and RSS,
// the whole team's RSS, a SIGKILLed runner → its agent registered again, and down.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  QUICK,
  type RelayChild,
  ROOT_TOKEN,
  type Row,
  row,
  say,
  startRelayChild,
  until,
} from "./support/common.ts";
import { epochNow } from "./support/proc.ts";

const BIN = join(import.meta.dir, "..", "bin", "agent-relay-runner");
const TEAM = QUICK ? 3 : 50;
const TICKS_PER_S = 100;

interface Team {
  dir: string;
  env: Record<string, string>;
  ids: string[];
}

function cli(team: Team, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync([BIN, ...args], { cwd: team.dir, env: team.env, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function makeTeam(relay: RelayChild, n: number, name: string): Team {
  const dir = mkdtempSync(join(tmpdir(), `relay-bench-team-${name}-`));
  const q = JSON.stringify;
  const toml = [
    "[relay]",
    `url = ${q(relay.url)}`,
    "[defaults]",
    'provider = "command"',
    'command = ["sh"]',
    // sh's own prompt ("$ ", or "# " for root) means idle.
    `ready_pattern = ${q("[$#] $")}`,
    'log_level = "warn"',
    "[agents.a]",
    `replicas = ${n}`,
  ].join("\n");
  writeFileSync(join(dir, "team.toml"), `${toml}\n`);
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    TMUX_TMPDIR: dir,
    AGENT_RELAY_TOKEN: ROOT_TOKEN,
    AGENT_RELAY_LOG_LEVEL: "warn",
  };
  return { dir, env, ids: Array.from({ length: n }, (_, i) => `a-${i + 1}`) };
}

async function agents(relay: RelayChild): Promise<Map<string, { ready: boolean; instanceId: string }>> {
  await Bun.sleep(20); // `until` polls every millisecond; this is an HTTP call listing the whole team
  const res = await fetch(`${relay.url}/v1/agents`, { headers: { authorization: `Bearer ${ROOT_TOKEN}` } });
  const body = (await res.json()) as { agents: { id: string; ready: boolean; instanceId: string }[] };
  return new Map(body.agents.map((a) => [a.id, a]));
}

/** `up -d` → every agent registered and ready; answers the elapsed ms. */
async function up(relay: RelayChild, team: Team): Promise<number> {
  const t0 = epochNow();
  const r = cli(team, "up", "-d");
  if (r.code !== 0) throw new Error(`up failed: ${r.stderr}`);
  await until(
    async () => {
      const all = await agents(relay);
      return team.ids.every((id) => all.get(id)?.ready) || undefined;
    },
    180_000,
    `${team.ids.length} agents ready`,
  );
  return epochNow() - t0;
}

function down(team: Team): number {
  const t0 = epochNow();
  cli(team, "down");
  const ms = epochNow() - t0;
  rmSync(team.dir, { recursive: true, force: true });
  return ms;
}

const statusField = (pid: number, field: string): number => {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
};
const cpuTicks = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
};

/** Every process whose environment names this team's HOME: supervisor, runners, tmux servers, providers. */
function teamPids(team: Team): number[] {
  const marker = `HOME=${team.dir}\0`;
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "utf8").includes(marker);
      } catch {
        return false;
      }
    });
}

export async function teamBench(): Promise<Row[]> {
  const relay = await startRelayChild();
  const rows: Row[] = [];
  const teams: Team[] = [];
  try {
    const single = makeTeam(relay, 1, "one");
    teams.push(single);
    const oneMs = await up(relay, single);
    down(single);
    say(`   up of 1 agent: ${oneMs.toFixed(0)} ms`);

    const team = makeTeam(relay, TEAM, "n");
    teams.push(team);
    const allMs = await up(relay, team);
    say(`   up of ${TEAM} agents: ${allMs.toFixed(0)} ms`);
    rows.push(
      row(`team: up of ${TEAM} command agents → all ready`, allMs, "ms", oneMs, {
        note: "floor: up of one agent, same way",
      }),
    );

    await Bun.sleep(QUICK ? 1_000 : 5_000); // let start-up settle before measuring idle
    const supervisor = Number(readFileSync(join(team.dir, ".agent-relay/supervisor/supervisor.pid"), "utf8"));
    const windowS = QUICK ? 2 : 20;
    const before = cpuTicks(supervisor);
    await Bun.sleep(windowS * 1000);
    const cpuPct = ((cpuTicks(supervisor) - before) / TICKS_PER_S / windowS) * 100;
    const supRssMb = statusField(supervisor, "VmRSS") / 1024;
    const pids = teamPids(team);
    const totalMb = pids.reduce((sum, pid) => sum + statusField(pid, "VmRSS") / 1024, 0);
    rows.push(
      row(`team: supervisor idle CPU (${TEAM} runners)`, cpuPct, "% of a core", 0, {
        note: `over ${windowS} s`,
      }),
      row(`team: supervisor RSS (${TEAM} runners)`, supRssMb, "MB", 0),
      row(`team: total RSS of the team (${pids.length} processes)`, totalMb, "MB", 0, {
        note: "supervisor, runners, tmux servers and sh providers",
      }),
    );

    // SIGKILL a runner: time until its agent is registered (a new instance) and ready again.
    const rounds = QUICK ? 1 : 3;
    const backMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const id = team.ids[i]!;
      const ps = JSON.parse(cli(team, "ps", "--json").stdout) as { agentId: string; pid: number }[];
      const pid = ps.find((r) => r.agentId === id)!.pid;
      const instance = (await agents(relay)).get(id)!.instanceId;
      const t0 = epochNow();
      process.kill(pid, "SIGKILL");
      await until(
        async () => {
          const a = (await agents(relay)).get(id);
          return (a && a.instanceId !== instance && a.ready) || undefined;
        },
        60_000,
        `${id} back`,
      );
      backMs.push(epochNow() - t0);
    }
    const median = [...backMs].sort((a, b) => a - b)[Math.floor(backMs.length / 2)]!;
    rows.push(
      row("team: runner SIGKILL → agent registered and ready again (median)", median, "ms", 500, {
        note: "floor: the restart policy's first delay (0.5 s)",
      }),
    );
    const downMs = down(team);
    rows.push(row(`team: down of ${TEAM} agents (graceful)`, downMs, "ms", 0));
  } finally {
    // A failed run must not leave a team behind: down whatever is still up (a no-op for teams already down).
    for (const t of teams) if (existsSync(t.dir)) down(t);
    await relay.kill();
  }
  return rows;
}
