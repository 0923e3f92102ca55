import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { runTmux } from "../../../src/providers/tmux/run.ts";
import { isRunnerError } from "../../../src/util/errors.ts";
import { createTmuxSandbox, type TmuxSandbox } from "../../support/tmux-sandbox.ts";

// `wait-for <channel>` blocks until someone signals the channel: a tmux client that never answers on its own.
describe("runTmux", () => {
  let box: TmuxSandbox;
  beforeEach(async () => {
    box = createTmuxSandbox("run");
    await box.tmux.newSession({ name: "s", cwd: "/", command: ["sleep", "30"] });
  });
  afterEach(() => box.cleanup());

  test("returns tmux's stdout", async () => {
    expect(await runTmux(box.socket, ["list-sessions", "-F", "#{session_name}"])).toBe("s\n");
  });

  test("a client that does not answer in time is killed and named as timed out", async () => {
    const error = await runTmux(box.socket, ["wait-for", "never"], { timeoutMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect(isRunnerError(error, "TMUX_FAILED")).toBe(true);
    expect((error as Error).message).toBe("tmux wait-for failed: timed out after 200 ms");
  });

  test("an abort ends the client and says so", async () => {
    const abort = new AbortController();
    const pending = runTmux(box.socket, ["wait-for", "never"], { signal: abort.signal }).catch(
      (e: unknown) => e,
    );
    abort.abort();
    const error = await pending;
    expect(isRunnerError(error, "TMUX_FAILED")).toBe(true);
    expect((error as Error).message).toBe("tmux wait-for failed: aborted");
  });

  test("a tmux that cannot run at all is a TMUX_FAILED error, not a crash", async () => {
    const error = await runTmux(box.socket, ["list-sessions"], { env: { PATH: "/nonexistent" } }).catch(
      (e: unknown) => e,
    );
    expect(isRunnerError(error, "TMUX_FAILED")).toBe(true);
  });
});
