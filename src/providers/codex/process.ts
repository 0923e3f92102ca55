// Runs `codex app-server --listen ws://127.0.0.1:<port>` as its own process group: start, wait for /readyz, stop with escalation.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { type Clock, sleep, systemClock } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import type { Logger } from "../../util/logger.ts";
import { PACKAGE_ROOT } from "../../util/package-root.ts";
import { findProcessesWithEnv, listDescendants, signalQuietly, terminateProcesses } from "./reap.ts";

export interface CodexExit {
  exitCode: number | null;
  signal: string | null;
}

export interface CodexBinary {
  path: string;
  /** Env the npm wrapper would have set before exec'ing the native binary. */
  env: Record<string, string>;
  /** Runs it wrapped, e.g. in a sandbox (src/providers/isolation.ts). */
  wrap?: (argv: readonly string[]) => string[];
}

const TRIPLES: Record<string, string> = {
  "linux-x64": "x86_64-unknown-linux-musl",
  "linux-arm64": "aarch64-unknown-linux-musl",
  "darwin-x64": "x86_64-apple-darwin",
  "darwin-arm64": "aarch64-apple-darwin",
};

/**
 * The native codex binary from node_modules when present (about 140 ms faster to start than the node wrapper),
 * otherwise `codex` from PATH.
 */
export function resolveCodexBinary(root = PACKAGE_ROOT): CodexBinary {
  const key = `${process.platform}-${process.arch}`;
  const triple = TRIPLES[key];
  const packageRoot = join(root, "node_modules/@openai/codex");
  if (triple) {
    const native = join(root, `node_modules/@openai/codex-${key}/vendor/${triple}/bin/codex`);
    if (existsSync(native))
      return { path: native, env: { CODEX_MANAGED_PACKAGE_ROOT: packageRoot, CODEX_MANAGED_BY_NPM: "1" } };
  }
  const wrapper = join(root, "node_modules/.bin/codex");
  return { path: existsSync(wrapper) ? wrapper : "codex", env: {} };
}

const SETPRIV = "/usr/bin/setpriv";

/**
 * The server runs in its own process group, so a runner killed outright (SIGKILL, OOM) would leave it running.
 * On Linux `setpriv --pdeathsig TERM` (util-linux) asks the kernel to stop it when its parent dies; setpriv
 * execs the server, so the pid stays the server's. Elsewhere the next start of the agent reaps the leftover.
 */
function withParentDeathSignal(path: string, args: string[]): [string, string[]] {
  if (process.platform !== "linux" || !existsSync(SETPRIV)) return [path, args];
  return [SETPRIV, ["--pdeathsig", "TERM", "--", path, ...args]];
}

/** A loopback port that was free a moment ago (the caller retries if Codex loses the race for it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface StartAppServerOptions {
  binary: CodexBinary;
  codexHome: string;
  cwd: string;
  /** Env on top of the runner's own (provider key, AGENT_RELAY_*). */
  env: Record<string, string>;
  readyTimeoutMs: number;
  logger: Logger;
  clock?: Clock;
  signal?: AbortSignal;
}

type ProcessState = "running" | "stopping" | "exited";

export class CodexAppServerProcess {
  private state: ProcessState = "running";
  readonly exited: Promise<CodexExit>;
  private stderrTail = "";

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly codexHome: string,
    private readonly clock: Clock,
  ) {
    this.exited = new Promise((resolveExit) => {
      child.once("exit", (exitCode, signal) => {
        this.state = "exited";
        resolveExit({ exitCode, signal });
      });
      // A binary that cannot be started never emits "exit".
      child.once("error", () => {
        if (child.pid !== undefined) return;
        this.state = "exited";
        resolveExit({ exitCode: null, signal: null });
      });
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4_000);
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }
  get pid(): number | undefined {
    return this.child.pid;
  }
  get isRunning(): boolean {
    return this.state === "running";
  }
  /** The last few KB Codex wrote to stderr, for error reports. */
  get recentStderr(): string {
    return this.stderrTail;
  }

  /** Spawn and wait until `/readyz` answers 200; rejects PROVIDER_NOT_READY (with stderr) and leaves nothing running. */
  static async start(options: StartAppServerOptions): Promise<CodexAppServerProcess> {
    const clock = options.clock ?? systemClock;
    const port = await findFreePort();
    const argv = [options.binary.path, "app-server", "--listen", `ws://127.0.0.1:${port}`];
    const [program, ...rest] = options.binary.wrap ? options.binary.wrap(argv) : argv;
    const [command, args] = withParentDeathSignal(program!, rest);
    // A private TMPDIR beside CODEX_HOME: Codex refuses to put its sandbox helper (codex-linux-sandbox, which a
    // system bubblewrap executes by name) in a CODEX_HOME under the temp dir, and then every sandboxed command
    // fails with "execvp codex-linux-sandbox". It also keeps the agent's temp files away from other users.
    // (Under --isolate the sandbox sets its own TMPDIR in the agent's home.)
    const tmpDir = `${options.codexHome}-tmp`;
    mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: {
        ...process.env,
        ...options.binary.env,
        ...options.env,
        CODEX_HOME: options.codexHome,
        TMPDIR: tmpDir,
      },
      // Its own process group, so stop() also reaches the shells and sandboxes Codex starts.
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const proc = new CodexAppServerProcess(child, port, options.codexHome, clock);
    const spawnError = new Promise<never>((_, reject) =>
      child.once("error", (e) =>
        reject(new RunnerError("PROVIDER_SPAWN_FAILED", `cannot start ${options.binary.path}`, { cause: e })),
      ),
    );
    try {
      await Promise.race([proc.waitForReady(options.readyTimeoutMs, options.signal), spawnError]);
      options.logger.debug({ pid: child.pid, port }, "codex app-server ready");
      return proc;
    } catch (e) {
      await proc.stop(1_000);
      if (e instanceof RunnerError && e.code !== "TIMEOUT") throw e;
      throw new RunnerError(
        "PROVIDER_NOT_READY",
        `codex app-server was not ready within ${options.readyTimeoutMs} ms: ${proc.recentStderr.slice(-500)}`,
        { cause: e },
      );
    }
  }

  private async waitForReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    const readyz = `http://127.0.0.1:${this.port}/readyz`;
    while (this.clock.now() < deadline) {
      if (signal?.aborted)
        throw new RunnerError("ABORTED", "codex app-server start aborted", { cause: signal.reason });
      if (this.state === "exited") {
        throw new RunnerError(
          "PROVIDER_SPAWN_FAILED",
          `codex app-server exited during start: ${this.recentStderr.slice(-500)}`,
        );
      }
      const ok = await fetch(readyz, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await sleep(this.clock, 25, signal);
    }
    throw new RunnerError("TIMEOUT", "readyz never answered 200");
  }

  /**
   * SIGTERM the whole process group, SIGKILL it after `timeoutMs`; resolves once the server has exited.
   * Codex starts some shells in their own session (the shell-environment snapshot), out of the group's reach,
   * and their background helpers get re-parented to init; so descendants are listed first, and anything still
   * carrying this CODEX_HOME is found afterwards, and both are terminated after the server.
   */
  async stop(timeoutMs: number): Promise<CodexExit> {
    const pid = this.child.pid;
    const descendants = this.state === "exited" || pid === undefined ? [] : await listDescendants(pid);
    if (this.state === "running") {
      this.state = "stopping";
      this.signalGroup("SIGTERM");
    }
    let timer: { cancel(): void } | undefined;
    const escalated = new Promise<"timeout">(
      (r) => (timer = this.clock.setTimeout(() => r("timeout"), timeoutMs)),
    );
    const first = await Promise.race([this.exited, escalated]);
    timer?.cancel();
    if (first === "timeout") this.signalGroup("SIGKILL");
    const exit = await this.exited;
    // Commands Codex ran may outlive the server; they go with it (TERM first, so their exit traps can clean up).
    const leftovers = [
      ...(pid === undefined ? [] : [{ pid, pgid: pid }]),
      ...descendants,
      ...(await findProcessesWithEnv("CODEX_HOME", this.codexHome)),
    ];
    await terminateProcesses(leftovers, 500, this.clock);
    return exit;
  }

  private signalGroup(sig: NodeJS.Signals): void {
    if (this.child.pid !== undefined) signalQuietly(-this.child.pid, sig);
  }
}

/** Start `codex app-server` and wait until it is ready (see CodexAppServerProcess.start). */
export const startAppServer = (options: StartAppServerOptions): Promise<CodexAppServerProcess> =>
  CodexAppServerProcess.start(options);
