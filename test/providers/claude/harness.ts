// Test rig for the Claude provider: the real claude CLI in real tmux, the real control server, the fake model API.
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlServer } from "../../../src/control/index.ts";
import type { ControlEvent } from "../../../src/control/schemas.ts";
import type {
  AdapterEvent,
  DeliveryItem,
  ProviderEvent,
  ProviderExit,
} from "../../../src/providers/adapter.ts";
import { ClaudeAdapter, type ClaudeAdapterOptions } from "../../../src/providers/claude/adapter.ts";
import { Tmux } from "../../../src/providers/tmux/index.ts";
import { FakeAnthropicApi } from "../../support/fake-anthropic-api.ts";
import { waitFor } from "../../support/wait-for.ts";

export const REPO = join(import.meta.dir, "..", "..", "..");
export const CLAUDE_BIN = join(REPO, "node_modules", ".bin", "claude");
export const PLUGIN_DIR = join(REPO, "plugins", "claude");
export const FAKE_RELAY_CLI = join(REPO, "test", "fixtures", "claude-fake-relay-cli.sh");
/** A fake key: its last 20 characters are approved in the prepared config, so the key dialog never shows. */
export const FAKE_API_KEY = "sk-ant-api03-fake-key-for-tests-0123456789abcdefghij";

export interface Rig {
  fake: FakeAnthropicApi;
  control: ControlServer;
  tmux: Tmux;
  root: string;
  controlEvents: ControlEvent[];
  providerEvents: ProviderEvent[];
  /** Every config dir a test used: no process may still carry one at the end. */
  configDirs: string[];
  relayCliLog: string;
  /** An empty HOME for the claude children. */
  home: string;
}

export async function startRig(): Promise<Rig> {
  const root = await mkdtemp(join(tmpdir(), "claude-provider-test-"));
  const fake = new FakeAnthropicApi().start();
  const control = new ControlServer();
  control.start();
  const rig: Rig = {
    fake,
    control,
    tmux: new Tmux(`claude-test-${randomBytes(4).toString("hex")}`),
    root,
    controlEvents: [],
    providerEvents: [],
    configDirs: [],
    relayCliLog: join(root, "relay-cli.log"),
    home: join(root, "home"),
  };
  await mkdir(rig.home);
  control.onControlEvent((e) => rig.controlEvents.push(e));
  control.onProviderEvent((e) => rig.providerEvents.push(e));
  return rig;
}

export async function stopRig(rig: Rig): Promise<void> {
  await rig.tmux.killServer().catch(() => {});
  await rig.control.stop();
  await rig.fake.stop();
  await rm(rig.root, { recursive: true, force: true });
}

export interface AgentUnderTest {
  adapter: ClaudeAdapter;
  events: AdapterEvent[];
  providerSessionId: string;
  /** The last spawn's `exited` handle, and how it ended once it resolved. */
  exited: Promise<ProviderExit> | undefined;
  exit: ProviderExit | undefined;
  configDir: string;
  cwd: string;
  /** The claude pid of the last spawn. */
  pid: number | undefined;
  /** Spawn (again); a restart passes resume and gets a fresh provider session id, as the runner does. */
  spawn(restart?: { resume: boolean }): Promise<void>;
  dispose(): Promise<void>;
}

let agentSeq = 0;

/** A ClaudeAdapter wired the way the runner must wire it (see adapter.ts), not yet spawned. */
export async function makeAgent(
  rig: Rig,
  options: Partial<ClaudeAdapterOptions> & { env?: Record<string, string> } = {},
): Promise<AgentUnderTest> {
  const n = ++agentSeq;
  const cwd = await mkdtemp(join(rig.root, `work-${n}-`));
  const configDir = join(rig.root, `config-${n}`);
  rig.configDirs.push(configDir);
  const providerSessionId = randomUUID();
  const adapter = new ClaudeAdapter({
    tmux: rig.tmux,
    sessionName: `agent-${n}`,
    configDir,
    pluginDir: PLUGIN_DIR,
    claudeBin: CLAUDE_BIN,
    approvalMode: "default",
    publishToMonitor: (item) => rig.control.publishDelivery(item),
    readyTimeoutMs: 20_000,
    // Never link the login of whoever runs the tests.
    userConfigDir: null,
    ...options,
  });
  const events: AdapterEvent[] = [];
  adapter.onEvent((e) => events.push(e));
  const offControl = rig.control.onControlEvent((e) => adapter.handleControlEvent(e));
  const abort = new AbortController();
  const agent: AgentUnderTest = {
    adapter,
    events,
    providerSessionId,
    configDir,
    cwd,
    pid: undefined,
    exited: undefined,
    exit: undefined,
    async spawn(restart) {
      if (restart) agent.providerSessionId = randomUUID();
      const psid = agent.providerSessionId;
      const result = await adapter.spawn({
        providerSessionId: psid,
        cwd,
        resume: restart?.resume ?? false,
        signal: abort.signal,
        env: {
          ...rig.control.childEnv(psid),
          ANTHROPIC_BASE_URL: rig.fake.url,
          ANTHROPIC_API_KEY: FAKE_API_KEY,
          AGENT_RELAY_BIN: FAKE_RELAY_CLI,
          FAKE_RELAY_CLI_LOG: rig.relayCliLog,
          // Hermetic: Claude snapshots the login shell of $HOME for its Bash tool and monitors; the tester's rc files
          // (pyenv, nvm…) are slow and, killed mid-way, can leave locks that stall every later shell.
          HOME: rig.home,
          ...options.env,
        },
      });
      agent.pid = result.pid;
      agent.exit = undefined;
      agent.exited = result.exited;
      // Registered before anyone else can await it: `exit` is set by the time shutdown() resolves.
      void result.exited.then((exit) => {
        if (agent.exited === result.exited) agent.exit = exit;
      });
    },
    async dispose() {
      abort.abort();
      await adapter.shutdown({ graceful: false, timeoutMs: 2_000 });
      offControl();
    },
  };
  return agent;
}

let messageSeq = 1000;

/** A relay message as the runner would hand it to deliver(). */
export function relayMessage(
  body: string,
  overrides: { id?: number; from?: string; subject?: string } = {},
): DeliveryItem {
  return {
    message: {
      id: overrides.id ?? ++messageSeq,
      from: overrides.from ?? "alice",
      to: "agent",
      kind: "chat",
      subject: overrides.subject,
      body,
      payload: {},
      claimable: false,
      readBy: [],
      reactions: [],
      attachments: [],
      createdAt: Date.now(),
    },
    attachmentPaths: [],
  };
}

/** Hook payloads the control server received for one provider session, by event name. */
export function hooksSeen(rig: Rig, providerSessionId: string, name?: string): Record<string, unknown>[] {
  return rig.controlEvents
    .filter((e) => e.type === "hook.received" && e.providerSessionId === providerSessionId)
    .map((e) => (e as Extract<ControlEvent, { type: "hook.received" }>).payload as Record<string, unknown>)
    .filter((p) => name === undefined || p.hook_event_name === name);
}

/** Pids of live processes whose environment names one of these config dirs (claude, its monitor, its hooks). */
/** "pid ppid command line" for each pid still there: what a failed leftover check names. */
export async function describeProcesses(pids: number[]): Promise<string[]> {
  const out: string[] = [];
  for (const pid of pids) {
    try {
      const cmd = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").join(" ").trim();
      const ppid = /PPid:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1];
      out.push(`${pid} (parent ${ppid}) ${cmd.slice(0, 300)}`);
    } catch {
      out.push(`${pid} (gone)`);
    }
  }
  return out;
}

export async function processesUsing(configDirs: string[]): Promise<number[]> {
  const needles = configDirs.map((d) => `CLAUDE_CONFIG_DIR=${d}\0`);
  const out: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = await readFile(`/proc/${entry}/environ`, "latin1");
      if (needles.some((n) => env.includes(n))) out.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return out;
}

export interface RigPerFile {
  /** The file's rig (set before its first test). */
  readonly rig: Rig;
  /** A new agent on the rig, disposed after the test. */
  agent(options?: Parameters<typeof makeAgent>[1]): Promise<AgentUnderTest>;
}

/** One rig per test file: started before its tests, agents disposed after each, and no process of theirs left. */
export function rigPerFile(): RigPerFile {
  const agents: AgentUnderTest[] = [];
  let rig: Rig | undefined;
  const file: RigPerFile = {
    get rig() {
      if (!rig) throw new Error("the rig starts before the first test");
      return rig;
    },
    async agent(options = {}) {
      const a = await makeAgent(file.rig, options);
      agents.push(a);
      return a;
    },
  };
  beforeAll(async () => {
    rig = await startRig();
  }, 10_000);
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.dispose();
  }, 20_000);
  afterAll(async () => {
    const dirs = file.rig.configDirs;
    await stopRig(file.rig);
    // Claude's monitor and hooks are known to orphan: nothing that carries one of our config dirs may survive.
    const left = await waitFor(async () => ((await processesUsing(dirs)).length === 0 ? true : undefined), {
      timeoutMs: 10_000,
      what: "no claude, monitor or hook process left",
    }).catch(async () => describeProcesses(await processesUsing(dirs)));
    expect(left).toBe(true);
  }, 20_000);
  return file;
}
