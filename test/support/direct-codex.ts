// The real `codex app-server` against the fake model, driven straight from the test (no adapter, runner or relay).
import { join } from "node:path";
import { prepareCodexHome } from "../../src/providers/codex/home.ts";
import { launchAppServer } from "../../src/providers/codex/launch.ts";
import { type CodexAppServerProcess, resolveCodexBinary } from "../../src/providers/codex/process.ts";
import type { CodexRpc } from "../../src/providers/codex/rpc.ts";
import { systemClock } from "../../src/util/clock.ts";
import { silentLogger } from "../../src/util/logger.ts";
import type { FakeResponsesApi } from "./fake-responses-api.ts";

export const DIRECT_MODEL = "gpt-5.5";
const KEY_ENV = "FAKE_RESPONSES_KEY";

export interface DirectAppServer {
  proc: CodexAppServerProcess;
  /** The JSON-RPC connection, initialised. */
  rpc: CodexRpc;
  /** The thread's working directory. */
  work: string;
  stop(): Promise<void>;
}

/** A CODEX_HOME, work folder and HOME under `dir`, and a ready app-server whose model is `fake`. */
export async function startDirectAppServer(fake: Pick<FakeResponsesApi, "baseUrl">, dir: string) {
  const [home, work, userHome] = ["home", "work", "user"].map((d) => join(dir, d)) as [
    string,
    string,
    string,
  ];
  await Bun.$`mkdir -p ${work} ${userHome}`;
  const provider = { baseUrl: fake.baseUrl, envKey: KEY_ENV, maxRetries: 0 };
  await prepareCodexHome({
    homeDir: home,
    cwd: work,
    model: DIRECT_MODEL,
    approvalMode: "default",
    provider,
  });
  const { proc, rpc } = await launchAppServer({
    binary: resolveCodexBinary(),
    codexHome: home,
    cwd: work,
    env: { [KEY_ENV]: "sk-fake", HOME: userHome },
    readyTimeoutMs: 20_000,
    logger: silentLogger(),
    clock: systemClock,
    signal: AbortSignal.timeout(20_000),
  });
  const stop = async () => {
    await rpc.close(500);
    await proc.stop(2_000);
  };
  return { proc, rpc, work, stop } satisfies DirectAppServer;
}
