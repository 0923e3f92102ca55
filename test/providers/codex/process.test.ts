// Starting `codex app-server`: readiness deadline, spawn failures and clean stops, without a model.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join, resolve } from "node:path";
import { CodexAppServerProcess, resolveCodexBinary } from "../../../src/providers/codex/process.ts";
import { silentLogger } from "../../../src/util/logger.ts";
import { processesWithCodexHome, tempDir } from "./harness.ts";

setDefaultTimeout(20_000);

const NEVER_READY = resolve(import.meta.dir, "../../fixtures/codex-never-ready.sh");
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function home() {
  const dir = await tempDir("codex-proc");
  cleanup = dir.remove;
  await Bun.$`mkdir -p ${dir.path}/h`;
  return dir.path;
}

describe("codex app-server process", () => {
  test("the real server answers /readyz on loopback and stop() ends it", async () => {
    const dir = await home();
    const proc = await CodexAppServerProcess.start({
      binary: resolveCodexBinary(),
      codexHome: join(dir, "h"),
      cwd: dir,
      env: {},
      readyTimeoutMs: 15_000,
      logger: silentLogger(),
    });
    expect(proc.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`http://127.0.0.1:${proc.port}/readyz`)).status).toBe(200);
    const exit = await proc.stop(5_000);
    expect(exit.exitCode === 0 || exit.signal === "SIGTERM").toBe(true);
    expect(await processesWithCodexHome(join(dir, "h"))).toEqual([]);
  });

  test("a server that never gets ready is killed and reported PROVIDER_NOT_READY", async () => {
    const dir = await home();
    const attempt = CodexAppServerProcess.start({
      binary: { path: NEVER_READY, env: {} },
      codexHome: join(dir, "h"),
      cwd: dir,
      env: {},
      readyTimeoutMs: 300,
      logger: silentLogger(),
    });
    await expect(attempt).rejects.toMatchObject({ code: "PROVIDER_NOT_READY" });
    expect(await processesWithCodexHome(join(dir, "h"))).toEqual([]);
  });

  test("a server that exits during start-up is reported with its stderr", async () => {
    const dir = await home();
    const attempt = CodexAppServerProcess.start({
      binary: resolveCodexBinary(),
      codexHome: join(dir, "missing-home"),
      cwd: dir,
      env: {},
      readyTimeoutMs: 15_000,
      logger: silentLogger(),
    });
    await expect(attempt).rejects.toThrow(/exited during start.*CODEX_HOME points to/s);
  });

  test("a binary that does not exist fails with PROVIDER_SPAWN_FAILED instead of hanging", async () => {
    const dir = await home();
    const attempt = CodexAppServerProcess.start({
      binary: { path: join(dir, "no-such-codex"), env: {} },
      codexHome: join(dir, "h"),
      cwd: dir,
      env: {},
      readyTimeoutMs: 5_000,
      logger: silentLogger(),
    });
    await expect(attempt).rejects.toMatchObject({ code: "PROVIDER_SPAWN_FAILED" });
  });
});
