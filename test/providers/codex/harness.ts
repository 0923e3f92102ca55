// Shared set-up for tests that drive the real `codex app-server` against the fake Responses API.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Message } from "../../../src/protocol/index.ts";
import type {
  DeliveryItem,
  ProviderEvent,
  SpawnContext,
  SpawnResult,
} from "../../../src/providers/adapter.ts";
import { CodexAdapter, type CodexAdapterOptions } from "../../../src/providers/codex/index.ts";
import { waitForEvent } from "../../support/wait-for.ts";

export const RELAY_BIN = resolve(import.meta.dir, "../../../bin/agent-relay-runner");
export const FAKE_KEY_ENV = "FAKE_RESPONSES_KEY";

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export function relayMessage(id: number, body: string, extra: Partial<Message> = {}): DeliveryItem {
  const message: Message = {
    id,
    from: "alice",
    to: "codex-agent",
    kind: "chat",
    body,
    payload: {},
    claimable: false,
    readBy: [],
    reactions: [],
    attachments: [],
    createdAt: Date.now(),
    ...extra,
  };
  return { message, attachmentPaths: [] };
}

/** An adapter that records every event it emits. */
export class RecordingAdapter {
  readonly events: ProviderEvent[] = [];
  readonly adapter: CodexAdapter;
  /** The newest spawn's handle (spawned through `spawn`). */
  handle: SpawnResult | undefined;
  private readonly listeners = new Set<(e: ProviderEvent) => void>();

  /** `userHome` becomes HOME for Codex and its shells, keeping the machine's dotfiles (and their slow hooks) out. */
  constructor(
    options: CodexAdapterOptions,
    private readonly userHome?: string,
  ) {
    this.adapter = new CodexAdapter(options);
    this.adapter.onEvent((e) => {
      this.events.push(e);
      for (const l of this.listeners) l(e);
    });
  }

  /** Spawn and keep the live handle: its `exited` is how a test sees the spawn end. */
  async spawn(cwd: string, resume = false): Promise<SpawnResult> {
    this.handle = await this.adapter.spawn(this.spawnContext(cwd, resume));
    return this.handle;
  }

  spawnContext(cwd: string, resume = false): SpawnContext {
    return {
      providerSessionId: crypto.randomUUID(),
      env: {
        [FAKE_KEY_ENV]: "sk-fake",
        AGENT_RELAY_BIN: RELAY_BIN,
        ...(this.userHome ? { HOME: this.userHome } : {}),
      },
      cwd,
      resume,
      signal: AbortSignal.timeout(20_000),
    };
  }

  /** The first event (from now on) of `type` that passes `predicate`. */
  next<T extends ProviderEvent["type"]>(
    type: T,
    predicate: (e: Extract<ProviderEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<Extract<ProviderEvent, { type: T }>> {
    return waitForEvent<ProviderEvent>(
      (l) => {
        this.listeners.add(l);
        return () => this.listeners.delete(l);
      },
      (e) => e.type === type && predicate(e as Extract<ProviderEvent, { type: T }>),
      { timeoutMs, what: `provider event ${type}` },
    ) as Promise<Extract<ProviderEvent, { type: T }>>;
  }

  ofType<T extends ProviderEvent["type"]>(type: T): Extract<ProviderEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<ProviderEvent, { type: T }>[];
  }
}

/** Live processes whose environment has CODEX_HOME=<home> (the server and anything it started), as "pid command". */
export async function processesWithCodexHome(home: string): Promise<string[]> {
  const needle = `CODEX_HOME=${home}\0`;
  const pids: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = await readFile(`/proc/${entry}/environ`, "latin1").catch(() => "");
    if (environ.includes(needle)) {
      const stat = await readFile(`/proc/${entry}/stat`, "latin1").catch(() => "");
      // Zombies are already dead; only their parent's wait is missing.
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "latin1").catch(() => "");
      if (!/^\d+ \(.*\) Z /.test(stat))
        pids.push(
          `${entry} ${stat.split(" ").slice(3, 6).join(",")} ${cmdline.replace(/\0/g, " ").slice(0, 120)}`,
        );
    }
  }
  return pids;
}
