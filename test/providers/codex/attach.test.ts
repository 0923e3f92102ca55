// A person's attach command opens the live thread in a Codex TUI, and turns typed there reach the adapter.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { runTmux } from "../../../src/providers/tmux/index.ts";
import { type FakeResponsesApi, startFakeResponsesApi } from "../../support/fake-responses-api.ts";
import { createTmuxSandbox, type TmuxSandbox } from "../../support/tmux-sandbox.ts";
import { waitFor } from "../../support/wait-for.ts";
import { FAKE_KEY_ENV, processesWithCodexHome, RecordingAdapter, relayMessage } from "./harness.ts";

setDefaultTimeout(30_000);

let fake: FakeResponsesApi;
let outer: TmuxSandbox;
let agent: RecordingAdapter;
let home: string;
const attachSocket = `codex-attach-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  fake = await startFakeResponsesApi();
  outer = createTmuxSandbox("codex-attach");
  home = join(outer.dir, "home");
  const work = join(outer.dir, "work");
  await Bun.$`mkdir -p ${work} ${outer.dir}/user`;
  agent = new RecordingAdapter(
    {
      codexHome: home,
      tmuxSocket: attachSocket,
      modelProvider: { baseUrl: fake.baseUrl, envKey: FAKE_KEY_ENV, maxRetries: 0 },
    },
    join(outer.dir, "user"),
  );
  await agent.adapter.spawn(agent.spawnContext(work));
});

afterAll(async () => {
  await runTmux(attachSocket, ["kill-server"]).catch(() => {});
  await agent?.adapter.shutdown({ graceful: false, timeoutMs: 2_000 });
  await outer?.cleanup();
  await fake?.stop();
});

const screen = () =>
  runTmux(attachSocket, [
    "capture-pane",
    "-p",
    "-J",
    "-t",
    `=${agent.adapter.terminalAttachSpec()?.tmux?.session}:`,
  ]);

describe("codex terminal attach", () => {
  test("the attach command shows the relay's thread in a TUI, and a turn typed there is a provider turn", async () => {
    const completed = agent.next("turn.completed");
    await agent.adapter.deliver([relayMessage(1, "BEFORE-ATTACH hello")], AbortSignal.timeout(10_000));
    await completed;

    const spec = agent.adapter.terminalAttachSpec();
    expect(spec?.tmux?.socket).toBe(attachSocket);
    expect(spec?.command).toContain(agent.adapter.threadId as string);
    // A person runs the command in their terminal; here an outer tmux pane plays that terminal.
    await outer.tmux.newSession({
      name: "person",
      cwd: outer.dir,
      command: ["env", "-u", "TMUX", ...(spec?.command ?? [])],
    });
    const shown = await waitFor(
      async () => {
        const text = await screen().catch(() => "");
        return text.includes("ECHO: [relay message #1 from alice]") && text;
      },
      { timeoutMs: 15_000, what: "the TUI to show the relay's earlier turn" },
    );
    expect(shown).not.toContain("Trust this folder");

    const typedStarted = agent.next("turn.started");
    const typedCompleted = agent.next("turn.completed");
    const target = `=${spec?.tmux?.session}:`;
    await runTmux(attachSocket, ["send-keys", "-t", target, "-l", "TYPED-IN-TUI hi"]);
    // The TUI treats a fast burst as a paste; Enter is repeated until the turn starts.
    await waitFor(
      async () => {
        if (fake.requestsFor("TYPED-IN-TUI").length > 0) return true;
        await runTmux(attachSocket, ["send-keys", "-t", target, "Enter"]);
        return false;
      },
      { timeoutMs: 10_000, intervalMs: 400, what: "the typed turn to reach the model" },
    );
    const started = await typedStarted;
    expect((await typedCompleted).turnId).toBe(started.turnId);
  });

  test("shutdown ends the attached TUI too, leaving no codex process and no attach session", async () => {
    const session = agent.adapter.terminalAttachSpec()?.tmux?.session as string;
    expect(await runTmux(attachSocket, ["list-sessions", "-F", "#{session_name}"])).toContain(session);
    await agent.adapter.shutdown({ graceful: true, timeoutMs: 5_000 });
    expect(await processesWithCodexHome(home)).toEqual([]);
    await waitFor(
      async () => !(await runTmux(attachSocket, ["list-sessions"]).catch(() => "")).includes(session),
      {
        what: "the attach session to close",
      },
    );
  });
});
