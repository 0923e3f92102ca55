// The README's "Walkthrough" runs as written: its commands, typed in four terminals with a clean HOME, do what it says.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { actionFor, decisionReply } from "../../src/demo/demo-messages.ts";
import { waitFor } from "../support/wait-for.ts";
import { LongRunning, Shell, type StepResult } from "./walkthrough-terminal.ts";

// Four terminals' worth of processes, started one after another on a shared machine.
setDefaultTimeout(90_000);
const ROOT = resolve(import.meta.dir, "../..");
const README = join(ROOT, "README.md");

interface Block {
  terminal: number;
  commands: string[];
}

/** The ```sh blocks of the README's "## Walkthrough" section; each opens with `# terminal N`. */
function walkthroughBlocks(markdown: string): Block[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith("Walkthrough\n"));
  if (!section) throw new Error("README.md has no '## Walkthrough' section");
  const blocks: Block[] = [];
  for (const m of section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const lines = m[1]!.replace(/\\\n\s*/g, "").split("\n");
    const terminal = /^# terminal (\d+)\b/.exec(lines[0] ?? "");
    if (!terminal) throw new Error(`a walkthrough sh block does not open with "# terminal N": ${m[0]}`);
    const commands = lines.filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
    blocks.push({ terminal: Number(terminal[1]), commands });
  }
  return blocks;
}

/** What the steps learnt so far: what a person reading the screens would know. */
interface State {
  me?: string;
  tokenFile?: string;
  sent: { id: number; to: string; body: string }[];
  /** Placeholders in the README's commands, filled from an earlier command's output (`<id>` from `permissions`). */
  values: Map<string, string>;
  decisions: Map<string, string>;
  /** The permission request `permissions` showed last: whose, and what it asks to run. */
  asked?: { id: string; to: string; command: string };
  stopped: Set<string>;
}

interface Check {
  /** Matched against the command as the README writes it (placeholders unfilled). */
  command: RegExp;
  /** Read-only commands a person would simply run again until the answer is there. */
  retry?: boolean;
  /** Undefined when the output is right, else what is wrong (retried commands run again until it is right). */
  verify(out: string, m: RegExpMatchArray, s: State): string | undefined;
  /** What follows in the other terminals once the command succeeded. */
  after?(m: RegExpMatchArray, s: State, r: StepResult): Promise<void>;
}

const home = mkdtempSync(join(tmpdir(), "walkthrough-home-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home };
const agents = new Map<string, { term: LongRunning; socket: string; session: string }>();
const longRunning: LongRunning[] = [];
let shell: Shell | undefined;

const fail = (what: string, out: string) => `${what}; got:\n${out}`;
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The reply the demo agent sends to a message (the same rules the demo agent follows). */
function expectedReply(body: string, s: State): string | undefined {
  const action = actionFor({ id: 0, from: "", body });
  if (action.kind === "reply") return action.text;
  const decision = s.decisions.get(action.command);
  return decision === undefined ? undefined : decisionReply(action.command, decision);
}

async function paneOf(agent: string): Promise<string> {
  const a = agents.get(agent);
  if (!a) throw new Error(`no terminal runs agent ${agent}`);
  const p = Bun.spawn(["tmux", "-L", a.socket, "capture-pane", "-p", "-t", a.session], {
    stdout: "pipe",
    env,
  });
  return new Response(p.stdout).text();
}

const checks: Check[] = [
  {
    command: /token create --role operator --name (\S+) > (\S+)\)$/,
    verify: (out) => (out === "" ? undefined : fail("the token goes to the file, nothing on screen", out)),
    after: async (m, s) => {
      s.me = m[1];
      s.tokenFile = m[2]!.replace(/^~/, home);
      expect(statSync(s.tokenFile).mode & 0o777).toBe(0o600);
    },
  },
  {
    command: /^export AGENT_RELAY_TOKEN="\$\(cat (\S+)\)"$/,
    verify: (out) => (out === "" ? undefined : out),
  },
  {
    command: /whoami$/,
    verify: (out, _m, s) =>
      out.startsWith(`${s.me} (operator, until `) ? undefined : fail(`acts as ${s.me}`, out),
  },
  {
    command: /agents$/,
    retry: true,
    verify: (out, _m, s) => {
      const live = [...agents.keys()].filter((a) => !s.stopped.has(a));
      if (live.length === 0) return out === "no registered agents" ? undefined : fail("no agents", out);
      const missing = live.filter((a) => !new RegExp(`^${a}\\s+\\S+\\s+command\\s+idle\\b`, "m").test(out));
      const gone = [...s.stopped].filter((a) => new RegExp(`^${a}\\s`, "m").test(out));
      return missing.length + gone.length === 0 ? undefined : fail(`${live.join(", ")} idle`, out);
    },
  },
  {
    command: /send --to (\S+) "([^"]*)"$/,
    verify: (out) => (/^\d+$/.test(out) ? undefined : fail("the message id", out)),
    after: async (m, s, r) => {
      s.sent.push({ id: Number(r.output), to: m[1]!, body: m[2]! });
    },
  },
  {
    command: /inbox$/,
    retry: true,
    verify: (out, _m, s) => {
      for (const sent of s.sent) {
        const reply = expectedReply(sent.body, s);
        if (reply === undefined) continue;
        const line = new RegExp(`^#\\d+ ${sent.to} → ${s.me} ${literal(reply)}$`, "m");
        if (!line.test(out)) return fail(`${sent.to}'s reply "${reply}"`, out);
      }
      return undefined;
    },
  },
  {
    command: /permissions$/,
    retry: true,
    verify: (out, _m, s) => {
      const asks = s.sent.flatMap((m) => {
        const a = actionFor({ id: m.id, from: "", body: m.body });
        return a.kind === "ask" && !s.decisions.has(a.command) ? [{ to: m.to, command: a.command }] : [];
      });
      for (const ask of asks) {
        const row = new RegExp(`^(\\S+)\\s+${ask.to}\\s+Bash\\s+${literal(ask.command)}$`, "m").exec(out);
        if (!row) return fail(`${ask.to}'s request to run ${ask.command}`, out);
        s.values.set("<id>", row[1]!);
        s.asked = { id: row[1]!, ...ask };
      }
      return asks.length > 0 ? undefined : fail("a pending request", out);
    },
  },
  {
    command: /(approve|deny) <id>$/,
    verify: (out, m) =>
      new RegExp(`succeeded .*"decision":"${m[1]}"`).test(out) ? undefined : fail("the decision", out),
    after: async (m, s) => {
      const ask = s.asked!;
      s.decisions.set(ask.command, m[1]!);
      // What terminal 3 shows: the agent got the decision.
      await waitFor(async () => (await paneOf(ask.to)).includes(`demo-agent permission ${ask.id}: ${m[1]}`), {
        timeoutMs: 20_000,
        what: `${ask.to}'s screen to show the decision`,
      });
    },
  },
  {
    command: /stop (\S+)$/,
    verify: (out) => (/succeeded .*"stopped":true/.test(out) ? undefined : fail("stopped", out)),
    after: async (m, s) => {
      s.stopped.add(m[1]!);
      // "terminals 2 and 3 get their prompt back": the runner exits, cleanly.
      expect(await agents.get(m[1]!)!.term.exited()).toBe(0);
    },
  },
];

async function runStep(sh: Shell, written: string, s: State, used: Set<Check>): Promise<void> {
  const found = checks.flatMap((c) => {
    const m = written.match(c.command);
    return m ? [{ c, m }] : [];
  });
  if (found.length !== 1) throw new Error(`README step without exactly one check in this test: ${written}`);
  const { c, m } = found[0]!;
  used.add(c);
  const command = written.replace(/<[a-z-]+>/g, (p) => {
    const v = s.values.get(p);
    if (v === undefined) throw new Error(`${p} in "${written}" is not known from an earlier step's output`);
    return v;
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await sh.run(command);
    expect(r.exitCode, `${command}\n${r.output}`).toBe(0);
    const wrong = c.verify(r.output, m, s);
    if (wrong === undefined) {
      await c.after?.(m, s, r);
      return;
    }
    if (!c.retry || Date.now() > deadline) throw new Error(`${command}: ${wrong}`);
  }
}

/** Every process started here inherits the clean HOME: none may be left (relay, runners, agents, tmux servers). */
function processesWithOurHome(): number[] {
  const mark = `HOME=${home}\0`;
  return readdirSync("/proc").flatMap((d) => {
    if (!/^\d+$/.test(d)) return [];
    try {
      return readFileSync(`/proc/${d}/environ`, "latin1").includes(mark) ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

afterAll(() => {
  shell?.kill();
  for (const t of longRunning) t.proc.kill("SIGKILL");
  for (const pid of processesWithOurHome()) process.kill(pid, "SIGKILL");
  rmSync(home, { recursive: true, force: true });
});

describe("README walkthrough", () => {
  test("relay, two agents, alice sends, reads the reply, approves a permission, stops everything", async () => {
    const blocks = walkthroughBlocks(readFileSync(README, "utf8"));
    const byTerminal = (n: number) => blocks.filter((b) => b.terminal === n).flatMap((b) => b.commands);
    const [relayCmd, ...extra] = byTerminal(1);
    expect(relayCmd, "terminal 1 runs one command: the relay").toBeDefined();
    expect(extra).toEqual([]);

    // 8787 may be taken by a parallel test run; a person's is free. The only deviation from the README.
    const relay = new LongRunning(relayCmd!, {
      name: "terminal 1",
      cwd: ROOT,
      env: { ...env, AGENT_RELAY_PORT: "0" },
    });
    longRunning.push(relay);
    await relay.waitFor(/relay listening on http:\/\/127\.0\.0\.1:\d+/);

    for (const n of [2, 3]) {
      const cmds = byTerminal(n);
      expect(cmds.length, `terminal ${n} runs one command: an agent`).toBe(1);
      const term = new LongRunning(cmds[0]!, { name: `terminal ${n}`, cwd: ROOT, env });
      longRunning.push(term);
      const up = await term.waitFor(
        /agent (\S+) is up \(provider command\); attach: agent-relay-runner attach (\S+);/,
      );
      expect(up[2]).toBe(up[1]);
      // The command `attach` runs, as it would for a person: the agent's tmux socket and session.
      const print = Bun.spawnSync([join(ROOT, "bin/agent-relay-runner"), "attach", up[1]!, "--print"], {
        env,
      });
      const attach = /^tmux -L (\S+) attach -t (\S+)$/.exec(print.stdout.toString().trim());
      expect(attach, print.stderr.toString()).not.toBeNull();
      agents.set(up[1]!, { term, socket: attach![1]!, session: attach![2]! });
    }
    expect([...agents.keys()].length).toBe(2);

    const state: State = { sent: [], values: new Map(), decisions: new Map(), stopped: new Set() };
    const used = new Set<Check>();
    shell = new Shell({ name: "terminal 4", cwd: ROOT, env });
    for (const command of byTerminal(4)) await runStep(shell, command, state, used);
    expect(
      checks.filter((c) => !used.has(c)).map((c) => String(c.command)),
      "steps the README lost",
    ).toEqual([]);
    expect(state.stopped).toEqual(new Set(agents.keys()));
    expect(await shell.close()).toBe(0);

    // "press Ctrl-C in terminal 1"
    expect(readFileSync(README, "utf8")).toContain("Ctrl-C in terminal 1");
    relay.proc.kill("SIGINT");
    expect(await relay.exited()).toBe(0);
    expect(relay.screen.text).toContain("relay stopped");

    for (const { socket } of agents.values()) {
      expect(Bun.spawnSync(["tmux", "-L", socket, "ls"], { env }).exitCode).not.toBe(0);
    }
    await waitFor(() => processesWithOurHome().length === 0, {
      what: "no process left with the walkthrough's HOME",
    });
  });
});
